// Requests generated for one documented operation: its parameters, headers and body, each either what the
// document allows or what a hostile client sends (wrong types, huge and empty values, unicode edge cases,
// duplicated and missing fields, headers over limits).
import fc from 'fast-check';
import type { Operation, Parameter } from './operations.ts';
import { uploadForm } from './upload-form.ts';
import { hostileString, hostileText, type JsonSchema, resolveSchema, validValue, wrongJson } from './values.ts';

export type FuzzRequest = { method: string; target: string; headers: [string, string][]; body?: Buffer };

export type FuzzContext = {
  components: { schemas?: Record<string, JsonSchema> };
  /** Values that name something that exists (a product id, a request id, a file), by parameter name. */
  known: Record<string, string[]>;
  /** The Authorization header of a client allowed to do everything. */
  authorization: string;
  /**
   * Other clients' valid Authorization headers (managed keys: one `admin`, one with every scope but `admin`,
   * which sees only its own uploads), so that the gateway's key checks and ownership are driven too.
   */
  otherAuthorizations: string[];
  /** A managed key's visible prefix: invented keys that share it are hashed and compared, not just unknown. */
  knownKeyPrefix: string;
  /** Image URLs that work, for CSV rows; files that are images, for `images`. */
  imageUrls: string[];
  images: Buffer[];
};

/** Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD, as a client's would). */
export const percentEncode = (value: string) =>
  [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`,
    )
    .join('');

/** A header value as a client can send one: the UTF-8 bytes as latin1, without the controls HTTP forbids. */
const headerSafe = (value: string) =>
  Buffer.from(value, 'utf8')
    .toString('latin1')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters removed.
    .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');

const stringOf = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function parameterValue(parameter: Parameter, context: FuzzContext): fc.Arbitrary<string> {
  const known = context.known[parameter.name] ?? [];
  return fc.oneof(
    { weight: known.length ? 3 : 0, arbitrary: known.length ? fc.constantFrom(...known) : fc.constant('') },
    { weight: 3, arbitrary: validValue(parameter.schema, context.components).map(stringOf) },
    { weight: 2, arbitrary: hostileText },
  );
}

function pathOf(operation: Operation, context: FuzzContext): fc.Arbitrary<string> {
  const names = operation.parameters.filter((parameter) => parameter.in === 'path');
  const values = names.map((parameter) =>
    parameterValue(parameter, context)
      .filter((value) => value.length > 0)
      .map(percentEncode),
  );
  return fc
    .tuple(...values)
    .map((encoded) =>
      names.reduce(
        (path, parameter, index) => path.replace(`{${parameter.name}}`, encoded[index] ?? ''),
        operation.path,
      ),
    );
}

/** Each documented query parameter missing, once or twice; and some the document does not know. */
function queryOf(operation: Operation, context: FuzzContext): fc.Arbitrary<string> {
  const documented = operation.parameters
    .filter((parameter) => parameter.in === 'query')
    .map((parameter) =>
      fc
        .array(parameterValue(parameter, context), { maxLength: 2 })
        .map((values) => values.map((value) => `${parameter.name}=${percentEncode(value)}`)),
    );
  const unknown = fc
    .array(fc.tuple(hostileText, hostileText), { maxLength: 2 })
    .map((pairs) => pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`));
  return fc.tuple(unknown, ...documented).map((parts) => {
    const query = parts.flat().join('&');
    return query ? `?${query}` : '';
  });
}

/** The documented headers, and the ones every request can carry: a key or not, a request id, padding over limits. */
function headersOf(operation: Operation, context: FuzzContext): fc.Arbitrary<[string, string][]> {
  const documented = operation.parameters
    .filter((parameter) => parameter.in === 'header')
    .map((parameter) =>
      fc
        .option(parameterValue(parameter, context), { freq: 2 })
        .map((value): [string, string][] => (value === null ? [] : [[parameter.name, headerSafe(value)]])),
    );
  const bearer = (value: string): [string, string][] => [['authorization', headerSafe(`Bearer ${value}`)]];
  const others = context.otherAuthorizations;
  const authorization = fc.oneof(
    { weight: 8, arbitrary: fc.constant([['authorization', context.authorization]] as [string, string][]) },
    {
      weight: others.length ? 3 : 0,
      arbitrary: fc
        .constantFrom(...(others.length ? others : [context.authorization]))
        .map((value): [string, string][] => [['authorization', value]]),
    },
    { weight: 1, arbitrary: fc.constant([] as [string, string][]) },
    { weight: 1, arbitrary: hostileText.map(bearer) },
    // Keys that look like managed ones: an unknown prefix, or a known prefix with another tail.
    { weight: 1, arbitrary: hostileText.map((value) => bearer(`ipp_${value}`)) },
    { weight: 1, arbitrary: hostileText.map((value) => bearer(`${context.knownKeyPrefix}${value}`)) },
  );
  const requestId = fc
    .option(hostileText, { freq: 4 })
    .map((value): [string, string][] => (value === null ? [] : [['x-request-id', headerSafe(value)]]));
  // Node's parser takes 16 KiB of headers: below, around and over it, in one header or in many.
  const padding = fc.oneof(
    { weight: 8, arbitrary: fc.constant([] as [string, string][]) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(8_000, 17_000, 70_000)
        .map((size): [string, string][] => [['x-padding', 'p'.repeat(size)]]),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(100, 3_000)
        .map((count) => Array.from({ length: count }, (_, index): [string, string] => [`x-many-${index}`, 'v'])),
    },
  );
  return fc.tuple(authorization, requestId, padding, ...documented).map((groups) => groups.flat());
}

/** A JSON body: what the schema allows, the same with fields wrong, missing or added, or any JSON at all. */
function jsonBody(schema: JsonSchema, context: FuzzContext): fc.Arbitrary<Buffer> {
  const resolved = resolveSchema(schema, context.components);
  const names = Object.keys(resolved.properties ?? {});
  const valid = validValue(resolved, context.components);
  const mutated = fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.constantFrom(...names, 'unknown_field'), fc.option(wrongJson)), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([value, changes]) => {
      const object = { ...(value as Record<string, unknown>) };
      for (const [name, replacement] of changes) {
        if (replacement === null) delete object[name];
        else object[name] = replacement;
      }
      return object;
    });
  const text = fc.oneof(
    { weight: 3, arbitrary: valid.map((value) => JSON.stringify(value)) },
    { weight: 5, arbitrary: mutated.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    // The same field twice: which one counts is the parser's choice, but either must be validated.
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...names), wrongJson)
        .map(([value, name, other]) =>
          JSON.stringify(value).replace(/^\{/, `{${JSON.stringify(name)}:${JSON.stringify(other)},`),
        ),
    },
    { weight: 1, arbitrary: fc.oneof(hostileString, fc.constantFrom('', '{', '{"name":', '[]', 'null', '{"a":1}}')) },
  );
  return fc.oneof(
    { weight: 9, arbitrary: text.map((value) => Buffer.from(value, 'utf8')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)) },
  );
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'application/merge-patch+json',
  ';;;',
  'multipart/form-data',
];

/** The body and its headers: the documented media type most of the time, another or none sometimes. */
function bodyOf(operation: Operation, context: FuzzContext) {
  type Body = { headers: [string, string][]; body?: Buffer };
  if (!operation.body) {
    // A body where none is expected, now and then.
    return fc
      .option(fc.uint8Array({ minLength: 1, maxLength: 256 }), { freq: 8 })
      .map(
        (bytes): Body =>
          bytes
            ? { headers: [['content-type', 'application/octet-stream']], body: Buffer.from(bytes) }
            : { headers: [] },
      );
  }
  const documented = Object.entries(operation.body).map(([mediaType, schema]) => {
    const content: fc.Arbitrary<Body> =
      mediaType === 'multipart/form-data'
        ? uploadForm(schema, context).map((form) => ({
            headers: [['content-type', form.contentType]],
            body: form.body,
          }))
        : mediaType.includes('json')
          ? jsonBody(schema, context).map((body) => ({ headers: [['content-type', mediaType]], body }))
          : fc
              .uint8Array({ maxLength: 512 })
              .map((bytes) => ({ headers: [['content-type', mediaType]], body: Buffer.from(bytes) }));
    return content;
  });
  const mislabelled = fc
    .tuple(fc.oneof(...documented), fc.option(fc.constantFrom(...CONTENT_TYPES)))
    .map(([body, type]): Body => ({ headers: type === null ? [] : [['content-type', type]], body: body.body }));
  return fc.oneof({ weight: 8, arbitrary: fc.oneof(...documented) }, { weight: 2, arbitrary: mislabelled });
}

/** One request for `operation`, generated from its declaration in the document. */
export function requestFor(operation: Operation, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(
      pathOf(operation, context),
      queryOf(operation, context),
      headersOf(operation, context),
      bodyOf(operation, context),
    )
    .map(([path, query, headers, body]) => ({
      method: operation.method,
      target: `${path}${query}`,
      headers: [...headers, ...body.headers],
      ...(body.body ? { body: body.body } : {}),
    }));
}

/** A request in a few lines: the target, each header's name and size, the start of the body. */
export function describeRequest(fuzz: FuzzRequest) {
  const headers = fuzz.headers.map(([name, value]) =>
    value.length > 80 ? `${name}: <${value.length} bytes>` : `${name}: ${value}`,
  );
  const body = fuzz.body
    ? `${fuzz.body.length} bytes: ${JSON.stringify(fuzz.body.toString('latin1').slice(0, 300))}`
    : 'none';
  const shown = headers.length > 12 ? [...headers.slice(0, 12), `… ${headers.length - 12} more`] : headers;
  return `${fuzz.method} ${fuzz.target.slice(0, 300)}${fuzz.target.length > 300 ? '…' : ''}\n${shown.join('\n')}\nbody ${body}`;
}
