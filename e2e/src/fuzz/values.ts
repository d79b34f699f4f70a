// Generated values for fuzzing: what a schema allows, and what a hostile or careless client sends instead.
import fc from 'fast-check';

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

/** Resolves `#/components/schemas/<name>` references against the document's components. */
export function resolveSchema(schema: JsonSchema, components: { schemas?: Record<string, JsonSchema> } = {}) {
  let resolved = schema;
  while (resolved.$ref) resolved = components.schemas?.[resolved.$ref.split('/').at(-1) ?? ''] ?? {};
  return resolved;
}

/** Values the schema accepts (short strings: length limits are the hostile side's business). */
export function validValue(
  schema: JsonSchema,
  components: { schemas?: Record<string, JsonSchema> } = {},
): fc.Arbitrary<unknown> {
  const resolved = resolveSchema(schema, components);
  if (resolved.enum) return fc.constantFrom(...resolved.enum);
  const choices = resolved.anyOf ?? resolved.oneOf;
  if (choices) return fc.oneof(...choices.map((choice) => validValue(choice, components)));
  const types = Array.isArray(resolved.type) ? resolved.type : [resolved.type];
  return fc.oneof(...types.map((type) => validOfType(type, resolved, components)));
}

function validOfType(
  type: string | undefined,
  schema: JsonSchema,
  components: { schemas?: Record<string, JsonSchema> },
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
      if (schema.format === 'uri') return fc.webUrl();
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc
        .string({ unit: 'grapheme', minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) })
        .filter((value) => value.trim().length >= (schema.minLength ?? 0));
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validValue(schema.items ?? {}, components), { maxLength: 3 });
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([name, property]) => [name, validValue(property, components)]),
      );
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Strings a careless or hostile client sends: unicode edge cases, controls, numbers as text, empty. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  // Ordinary text with one character that has broken something somewhere inside it.
  fc
    .tuple(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('\0', '\uD800', '\uDFFF', '\u202E', '\r\n', '"', '\\', "'", '%00', '\u0085', '\uFFFF'),
      fc.string({ maxLength: 8 }),
    )
    .map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  // Any UTF-16 code unit: lone surrogates, NUL and the other controls.
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\0',
    'a\0b',
    '\u202Ereversed',
    '\uFEFF',
    '\u200B',
    '\uD800',
    '😀🏳️‍🌈',
    'Ω≈ç√∫',
    'e\u0301',
    '-1',
    '0',
    '1e309',
    '99999999999999999999',
    '9007199254740993',
    'NaN',
    'null',
    'true',
    '%00',
    '%',
    '..',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text a log4j-style lookup would expand.
    '${jndi:ldap://x}',
  ),
);

/** The same, and now and then a huge one: over every field limit (URLs and headers have their own test). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: hostileText },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'é', '😀', '\0'), fc.constantFrom(1_000, 100_000))
      .map(([unit, times]) => unit.repeat(times)),
  },
);

/** Any JSON value where a field of a given type is expected: other types, nesting, huge numbers. */
export const wrongJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, true, false, 0, -1, 2 ** 53 + 1, 1e308, [], {}),
  fc.jsonValue({ maxDepth: 3 }),
);
