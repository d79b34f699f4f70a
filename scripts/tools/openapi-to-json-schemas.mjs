// Turns the Kubernetes OpenAPI v2 spec (and CRD files) into one strict JSON schema per kind, named the
// way kubeconform looks them up: <kind>[-<group prefix>]-<version>.json. Strict means an unknown field
// fails: every object schema that lists properties gets additionalProperties: false.
// Plain .mjs so that the system Node (20) can run it in CI before the project's Node 24 is on the PATH.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const [target, swaggerPath, ...crdPaths] = process.argv.slice(2);

// The spec types these as strings, but manifests write `cpu: 1` and `port: 8080` as numbers too.
const looseScalars = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

function strict(schema) {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = strict(value);
  if (copy.format === 'int-or-string') {
    delete copy.type;
    delete copy.format;
    copy.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  const open = copy['x-kubernetes-preserve-unknown-fields'] === true;
  if (copy.properties && copy.additionalProperties === undefined && !open) copy.additionalProperties = false;
  return copy;
}

function fileName(group, version, kind) {
  const prefix = group ? `-${group.split('.')[0]}` : '';
  return `${kind}${prefix}-${version}.json`.toLowerCase();
}

function references(schema, found = new Set()) {
  if (schema === null || typeof schema !== 'object') return found;
  if (typeof schema.$ref === 'string') found.add(schema.$ref.replace('#/definitions/', ''));
  for (const value of Object.values(schema)) references(value, found);
  return found;
}

function closure(definitions, name) {
  const needed = new Set([name]);
  const queue = [name];
  while (queue.length > 0) {
    for (const reference of references(definitions[queue.pop()])) {
      if (!needed.has(reference)) {
        needed.add(reference);
        queue.push(reference);
      }
    }
  }
  return needed;
}

const swagger = JSON.parse(readFileSync(swaggerPath, 'utf8'));
const definitions = {};
for (const [name, schema] of Object.entries(swagger.definitions))
  definitions[name] = looseScalars[name] ?? strict(schema);

let written = 0;
for (const [name, schema] of Object.entries(swagger.definitions)) {
  for (const { group, version, kind } of schema['x-kubernetes-group-version-kind'] ?? []) {
    const own = {};
    for (const needed of closure(definitions, name)) if (needed !== name) own[needed] = definitions[needed];
    writeFileSync(
      join(target, fileName(group, version, kind)),
      JSON.stringify({ ...definitions[name], definitions: own }),
    );
    written += 1;
  }
}

for (const crdPath of crdPaths) {
  for (const document of parseAllDocuments(readFileSync(crdPath, 'utf8'))) {
    const crd = document.toJS();
    for (const version of crd.spec.versions) {
      const schema = strict(version.schema.openAPIV3Schema);
      writeFileSync(join(target, fileName(crd.spec.group, version.name, crd.spec.names.kind)), JSON.stringify(schema));
      written += 1;
    }
  }
}
console.error(`wrote ${written} schemas to ${target}`);
