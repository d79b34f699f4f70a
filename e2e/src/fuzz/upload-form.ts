// multipart/form-data bodies generated from a form's schema: every field missing, once or twice, with a value
// the schema allows or a hostile one; files that are CSVs, images or noise; framing that is right or broken.
import { multipartBody, type Part } from '@ipp/platform/testing/multipart';
import fc from 'fast-check';
import type { FuzzContext } from './requests.ts';
import { hostileString, hostileText, type JsonSchema, resolveSchema, validValue } from './values.ts';

const isFile = (schema: JsonSchema) => schema.format === 'binary' || schema.items?.format === 'binary';

/** A CSV of products: the expected header or another, rows whose cells are good, hostile or missing. */
function csvOf(context: FuzzContext): fc.Arbitrary<string> {
  const cell = fc.oneof(
    { weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/) },
    { weight: 1, arbitrary: hostileString },
  );
  const urls = fc.oneof(
    { weight: 8, arbitrary: fc.subarray(context.imageUrls, { minLength: 1 }).map((list) => list.join(',')) },
    { weight: 1, arbitrary: fc.webUrl() },
    { weight: 1, arbitrary: hostileString },
  );
  const row = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(cell, cell, urls).map(([serial, name, list]) => [serial, name, list]) },
    { weight: 1, arbitrary: fc.array(cell, { maxLength: 5 }) },
  );
  const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  const header = fc.oneof(
    { weight: 5, arbitrary: fc.constant('Serial Number,Product Name,Input Image Urls') },
    { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 4 }).map((cells) => cells.map(quote).join(',')) },
  );
  return fc
    .tuple(header, fc.array(row, { minLength: 1, maxLength: 4 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
    .map(
      ([head, rows, newline, bom]) =>
        `${bom ? '\uFEFF' : ''}${[head, ...rows.map((cells) => cells.map(quote).join(','))].join(newline)}${newline}`,
    );
}

function filePart(name: string, context: FuzzContext, kind: 'csv' | 'image' | 'any'): fc.Arbitrary<Part> {
  const data = fc.oneof(
    { weight: kind === 'image' ? 0 : 4, arbitrary: csvOf(context).map((text) => Buffer.from(text, 'utf8')) },
    { weight: kind === 'csv' ? 0 : 3, arbitrary: fc.constantFrom(...context.images) },
    // The first half of an image: a valid header, then nothing.
    { weight: 1, arbitrary: fc.constantFrom(...context.images).map((image) => image.subarray(0, image.length >> 1)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
  );
  const filename = fc.oneof(fc.constantFrom('products.csv', 'a.png', 'photo.JPG', 'noext', ''), hostileText);
  const contentType = fc.option(
    fc.oneof(
      fc.constantFrom('text/csv', 'image/png', 'image/jpeg', 'application/octet-stream', 'text/plain', 'image/svg+xml'),
      hostileString,
    ),
    { freq: 4 },
  );
  return fc.tuple(data, filename, contentType).map(([bytes, file, type]) => ({
    name,
    data: bytes,
    filename: file,
    ...(type === null ? {} : { contentType: type }),
  }));
}

/** Ways a multipart body can be broken; each keeps the parts but spoils the framing around them. */
const BREAKAGES = [
  'no closing delimiter',
  'another boundary',
  'no boundary parameter',
  'bare LF line ends',
  'part without headers',
  'cut short',
  'boundary of 200 characters',
] as const;

function frame(parts: Part[], breakage: (typeof BREAKAGES)[number] | null, cutAt: number) {
  const boundary = breakage === 'boundary of 200 characters' ? 'b'.repeat(200) : `fuzz${cutAt.toString(36)}boundary`;
  const form = multipartBody(parts, boundary);
  const body = form.body;
  switch (breakage) {
    case null:
    case 'boundary of 200 characters':
      return form;
    case 'no closing delimiter':
      return { ...form, body: body.subarray(0, body.length - boundary.length - 6) };
    case 'another boundary':
      return { ...form, contentType: 'multipart/form-data; boundary=not-the-one-used' };
    case 'no boundary parameter':
      return { ...form, contentType: 'multipart/form-data' };
    case 'bare LF line ends':
      return { ...form, body: Buffer.from(body.toString('latin1').replaceAll('\r\n', '\n'), 'latin1') };
    case 'part without headers':
      return { ...form, body: Buffer.concat([Buffer.from(`--${boundary}\r\n\r\nno headers\r\n`), body]) };
    case 'cut short':
      return { ...form, body: body.subarray(0, cutAt % Math.max(body.length, 1)) };
  }
}

/** Every field missing, once or more; files of any kind; values allowed or hostile. */
function anyParts(properties: [string, JsonSchema][], context: FuzzContext): fc.Arbitrary<Part[]> {
  const fields = properties.map(([name, property]) => {
    const part: fc.Arbitrary<Part> = isFile(property)
      ? filePart(name, context, 'any')
      : fc
          .oneof(
            { weight: 3, arbitrary: validValue(property, context.components) },
            { weight: 1, arbitrary: hostileString },
          )
          .map((value) => ({ name, data: typeof value === 'string' ? value : JSON.stringify(value) }));
    return fc.array(part, { maxLength: property.type === 'array' ? 3 : 2 });
  });
  const unknown = fc.array(
    fc.oneof(
      filePart('attachment', context, 'any'),
      hostileText.map((name): Part => ({ name, data: 'x' })),
    ),
    { maxLength: 1 },
  );
  return fc.tuple(...fields, unknown).map((groups) => groups.flat());
}

/**
 * A form a client could mean: one of the file fields (a list of files holds images, a single file a CSV),
 * each other field at most once with a value the schema allows. Most reach the service's own checks.
 */
function plausibleParts(properties: [string, JsonSchema][], context: FuzzContext): fc.Arbitrary<Part[]> {
  const files = properties.filter(([, property]) => isFile(property));
  const others = properties.filter(([, property]) => !isFile(property));
  const chosenFile = fc
    .constantFrom(...files)
    .chain(([name, property]) =>
      property.type === 'array'
        ? fc.array(filePart(name, context, 'image'), { minLength: 1, maxLength: 2 })
        : filePart(name, context, 'csv').map((part) => [part]),
    );
  const fields = others.map(([name, property]) =>
    fc
      .option(validValue(property, context.components), { freq: 3 })
      .map((value): Part[] => (value === null ? [] : [{ name, data: String(value) }])),
  );
  return fc.tuple(chosenFile, ...fields).map((groups) => groups.flat());
}

/** A multipart body for the form `schema` describes, with its Content-Type. */
export function uploadForm(schema: JsonSchema, context: FuzzContext) {
  const properties = Object.entries(resolveSchema(schema, context.components).properties ?? {});
  const hostile = fc
    .tuple(anyParts(properties, context), fc.option(fc.constantFrom(...BREAKAGES), { freq: 2 }), fc.nat())
    .map(([list, breakage, cutAt]) => frame(list, breakage, cutAt));
  const plausible = plausibleParts(properties, context).map((list) => frame(list, null, 0));
  return fc.oneof(hostile, plausible);
}
