// Checks real exchanges against the generated OpenAPI document: the status is documented for the operation,
// the documented headers are there and well-formed, the body has a documented media type and its schema.
import { Ajv2020 } from 'ajv/dist/2020.js';

type Schema = Record<string, unknown>;
type Header = { required?: boolean; schema?: { type?: string } };
type Response = { headers?: Record<string, Header>; content?: Record<string, { schema?: Schema }> };
type Operation = { operationId: string; responses: Record<string, Response> };
export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components?: Schema;
  webhooks?: Record<string, Record<string, { requestBody: { content: Record<string, { schema: Schema }> } }>>;
};
export type Exchange = { method: string; path: string; status: number; headers: Headers; body: Buffer };

const essence = (contentType: string) => contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
const isJson = (mediaType: string) => /^application\/([\w.-]+\+)?json$/.test(mediaType);

export function createContractChecker(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', (text: string) => /^\d{4}-\d\d-\d\dT/.test(text) && !Number.isNaN(Date.parse(text)));
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('uri', (text: string) => URL.canParse(text));
  ajv.addFormat('binary', () => true);
  // Every schema is compiled with the document's components beside it, so `#/components/…` resolves.
  const validatorOf = (schema: Schema) => ajv.compile({ ...schema, components: document.components });

  const operations = Object.entries(document.paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      method: method.toUpperCase(),
      pattern: new RegExp(`^${template.replace(/\./g, '\\.').replace(/\{[^/}]+\}/g, '[^/]+')}$`),
      operation,
    })),
  );
  /** `<operationId> <status>` of every exchange checked. */
  const covered = new Set<string>();

  function bodyViolations(response: Response, exchange: Exchange): string[] {
    const content = response.content;
    if (!content) return exchange.body.length === 0 ? [] : [`a body of ${exchange.body.length} bytes, none documented`];
    const mediaType = essence(exchange.headers.get('content-type') ?? '');
    const documented = Object.keys(content).find(
      (candidate) =>
        candidate === mediaType || (candidate.endsWith('/*') && mediaType.startsWith(candidate.slice(0, -1))),
    );
    if (!documented) return [`content type ${mediaType || '(none)'}, documented: ${Object.keys(content).join(', ')}`];
    const schema = content[documented]?.schema;
    if (!isJson(documented) || !schema) return [];
    const validate = validatorOf(schema);
    if (validate(JSON.parse(exchange.body.toString('utf8')))) return [];
    return (validate.errors ?? []).map((error) => `body${error.instancePath} ${error.message}`);
  }

  function headerViolations(response: Response, exchange: Exchange): string[] {
    return Object.entries(response.headers ?? {}).flatMap(([name, header]) => {
      const value = exchange.headers.get(name);
      if (value === null) return header.required ? [`header ${name} missing`] : [];
      if (header.schema?.type === 'integer' && !/^\d+$/.test(value)) return [`header ${name} is not an integer`];
      return [];
    });
  }

  return {
    covered,
    /** Every way `exchange` departs from the document; empty when it conforms. */
    check(exchange: Exchange): string[] {
      const found = operations.find(
        (candidate) => candidate.method === exchange.method && candidate.pattern.test(exchange.path),
      );
      if (!found) return [`${exchange.method} ${exchange.path} is no documented operation`];
      const response = found.operation.responses[String(exchange.status)];
      const where = `${found.operation.operationId} ${exchange.status}`;
      if (!response) return [`${where}: the status is not documented`];
      covered.add(where);
      return [...headerViolations(response, exchange), ...bodyViolations(response, exchange)].map(
        (violation) => `${where}: ${violation}`,
      );
    },
    /** Violations of the payload `webhook` declares. */
    checkWebhook(webhook: string, payload: unknown): string[] {
      const schema = document.webhooks?.[webhook]?.post?.requestBody.content['application/json']?.schema;
      if (!schema) return [`webhook ${webhook} is not documented`];
      const validate = validatorOf(schema);
      return validate(payload) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
    },
  };
}
