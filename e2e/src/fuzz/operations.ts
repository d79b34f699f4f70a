// The operations of the generated OpenAPI document, in the form the fuzzer builds requests from.
import type { JsonSchema } from './values.ts';

export type Parameter = { in: 'path' | 'query' | 'header' | 'cookie'; name: string; schema: JsonSchema };
export type Operation = {
  operationId: string;
  method: string;
  /** The path template, `{name}` for each path parameter. */
  path: string;
  tags: string[];
  parameters: Parameter[];
  /** The documented body: its media types and their schemas. */
  body?: Record<string, JsonSchema>;
  statuses: number[];
};

type DocumentOperation = {
  operationId: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, unknown>;
};
export type FuzzDocument = {
  paths: Record<string, Record<string, DocumentOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
};

/** Every operation the document declares: what the fuzzer must cover, whoever added it. */
export function operationsOf(document: FuzzDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      operationId: operation.operationId,
      method: method.toUpperCase(),
      path,
      tags: operation.tags ?? [],
      parameters: operation.parameters ?? [],
      ...(operation.requestBody
        ? {
            body: Object.fromEntries(
              Object.entries(operation.requestBody.content).map(([type, media]) => [type, media.schema ?? {}]),
            ),
          }
        : {}),
      statuses: Object.keys(operation.responses).map(Number),
    })),
  );
}
