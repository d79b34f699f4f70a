import type { ImageProcessJob } from '@ipp/contracts';
import { EXCHANGES, ROUTING_KEYS } from '@ipp/contracts';
import { context, propagation } from '@opentelemetry/api';
import type { Queryable } from './database.ts';
import { buildImageJob, type ItemForJob } from './image-job.ts';

export type JobOptions = ImageProcessJob['options'];
export type NewItem = {
  id: string;
  row_number: number;
  position: number;
  serial_number: string;
  product_name: string;
  input_url: string;
  source: ImageProcessJob['source'];
};
export type NewRequest = {
  id: string;
  kind: 'csv' | 'images';
  options: JobOptions & { webhook_url: string | null };
  items: NewItem[];
  webhookId: string | null;
  /** The key that made the upload (the gateway's key id); null without one. */
  ownerKeyId?: string | null;
};

/** The current W3C trace context, stored with each job so the trace continues when the relay publishes it. */
function traceHeaders() {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The items a job is built from (`$1` selects them), in the order their jobs are written. */
const itemsForJobsSql = (selection: string) => `
  SELECT item.id, item.request_id, item.input_url, item.source_key, item.source_content_type, item.serial_number,
    item.product_name, request.options
  FROM upload.items item JOIN upload.requests request ON request.id = item.request_id
  WHERE ${selection} ORDER BY item.request_id, item.row_number, item.position`;

const ITEMS_OF_REQUEST_SQL = itemsForJobsSql('item.request_id = $1');
const ITEMS_BY_ID_SQL = itemsForJobsSql('item.id = ANY($1::uuid[])');

/** Writes the request, its items and its pending webhook (in the caller's transaction). */
export async function insertRequest(client: Queryable, request: NewRequest) {
  const { webhook_url } = request.options;
  await client.query(
    'INSERT INTO upload.requests (id, kind, total, options, owner_key_id) VALUES ($1, $2, $3, $4, $5)',
    [request.id, request.kind, request.items.length, request.options, request.ownerKeyId ?? null],
  );
  const rows = request.items.map(({ source, ...item }) => ({
    ...item,
    source_key: source.kind === 'file' ? source.key : null,
    source_content_type: source.kind === 'file' ? (source.content_type ?? null) : null,
  }));
  await client.query(
    `INSERT INTO upload.items (id, request_id, row_number, position, serial_number, product_name, input_url,
       source_key, source_content_type)
     SELECT id, $1, row_number, position, serial_number, product_name, input_url, source_key, source_content_type
     FROM jsonb_to_recordset($2::jsonb) AS item(id uuid, row_number int, position int, serial_number text,
       product_name text, input_url text, source_key text, source_content_type text)`,
    [request.id, JSON.stringify(rows)],
  );
  if (request.webhookId && webhook_url) {
    await client.query('INSERT INTO upload.webhook_deliveries (id, request_id, url) VALUES ($1, $2, $3)', [
      request.webhookId,
      request.id,
      webhook_url,
    ]);
  }
}

/**
 * Writes one outbox row per selected item (every item of a request, or the given items): the jobs the relay
 * publishes once the transaction commits. An item whose product is not in `products` gets a job with no
 * product id, and its image is attached to the product by serial number.
 */
export async function insertJobs(
  client: Queryable,
  selection: { requestId: string } | { itemIds: string[] },
  products: Array<{ serial_number: string; id: number }> = [],
) {
  const [sql, selected] =
    'requestId' in selection ? [ITEMS_OF_REQUEST_SQL, selection.requestId] : [ITEMS_BY_ID_SQL, selection.itemIds];
  const { rows } = await client.query<ItemForJob>(sql, [selected]);
  const productIds = new Map(products.map((product) => [product.serial_number, product.id]));
  const jobs = rows.map((item) => buildImageJob(item, productIds.get(item.serial_number) ?? null));
  await writeOutbox(client, EXCHANGES.jobs, ROUTING_KEYS.process, jobs);
}

/** Writes messages to the outbox, in order, under the current trace context; the relay publishes them after commit. */
export async function writeOutbox(client: Queryable, exchange: string, routingKey: string, messages: unknown[]) {
  await client.query(
    `INSERT INTO upload.outbox (exchange, routing_key, payload, headers)
     SELECT $1, $2, message.payload, $3::jsonb
     FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS message(payload, position)
     ORDER BY message.position`,
    [exchange, routingKey, traceHeaders(), JSON.stringify(messages)],
  );
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
