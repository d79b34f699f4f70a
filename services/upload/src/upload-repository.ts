import type { ImageProcessJob } from '@ipp/contracts';
import { EXCHANGES, ROUTING_KEYS } from '@ipp/contracts';
import { context, propagation } from '@opentelemetry/api';
import type { Queryable } from './database.ts';

export type JobOptions = ImageProcessJob['options'];
export type NewItem = {
  id: string;
  row_number: number;
  position: number;
  serial_number: string;
  product_name: string;
  product_id: number | null;
  input_url: string;
  source: ImageProcessJob['source'];
};
export type NewRequest = {
  id: string;
  kind: 'csv' | 'images';
  options: JobOptions & { webhook_url: string | null };
  items: NewItem[];
  webhookId: string | null;
};

/** The current W3C trace context, stored with each job so the trace continues when the relay publishes it. */
function traceHeaders() {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

function jobFor(request: NewRequest, item: NewItem): ImageProcessJob {
  const { webhook_url: _webhook, ...options } = request.options;
  return {
    message_id: crypto.randomUUID(),
    type: ROUTING_KEYS.process,
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: request.id,
    item_id: item.id,
    source: item.source,
    options,
    product: { id: item.product_id, serial_number: item.serial_number, name: item.product_name },
  };
}

/** Writes the request, its items, one outbox row per job and the pending webhook, all in the caller's transaction. */
export async function insertRequest(client: Queryable, request: NewRequest) {
  await client.query('INSERT INTO upload.requests (id, kind, total, options) VALUES ($1, $2, $3, $4)', [
    request.id,
    request.kind,
    request.items.length,
    request.options,
  ]);
  await client.query(
    `INSERT INTO upload.items (id, request_id, row_number, position, serial_number, product_name, product_id, input_url)
     SELECT id, $1, row_number, position, serial_number, product_name, product_id, input_url
     FROM jsonb_to_recordset($2::jsonb) AS item(id uuid, row_number int, position int, serial_number text,
       product_name text, product_id bigint, input_url text)`,
    [request.id, JSON.stringify(request.items)],
  );
  await client.query(
    `INSERT INTO upload.outbox (exchange, routing_key, payload, headers)
     SELECT $1, $2, job, $4 FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS job_list(job, ordinal) ORDER BY ordinal`,
    [
      EXCHANGES.jobs,
      ROUTING_KEYS.process,
      JSON.stringify(request.items.map((item) => jobFor(request, item))),
      traceHeaders(),
    ],
  );
  if (request.webhookId && request.options.webhook_url) {
    await client.query('INSERT INTO upload.webhook_deliveries (id, request_id, url) VALUES ($1, $2, $3)', [
      request.webhookId,
      request.id,
      request.options.webhook_url,
    ]);
  }
}

export type IdempotencyRecord = { body_hash: string; request_id: string; total: number };

export async function findIdempotencyKey(client: Queryable, key: string): Promise<IdempotencyRecord | undefined> {
  const { rows } = await client.query<IdempotencyRecord>(
    `SELECT key.body_hash, key.request_id, request.total
     FROM upload.idempotency_keys key JOIN upload.requests request ON request.id = key.request_id
     WHERE key.key = $1`,
    [key],
  );
  return rows[0];
}

/** Claims an idempotency key; false when another request holds it already. */
export async function claimIdempotencyKey(client: Queryable, key: string, bodyHash: string, requestId: string) {
  const { rowCount } = await client.query(
    'INSERT INTO upload.idempotency_keys (key, body_hash, request_id) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING',
    [key, bodyHash, requestId],
  );
  return rowCount === 1;
}
