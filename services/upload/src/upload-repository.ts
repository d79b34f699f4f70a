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

/**
 * One `image.process` job per item, built by the database from the items' rows, their request's options and
 * the product ids the product service answered (ImageProcessJobSchema). `$1` selects the items.
 */
const outboxJobsSql = (selection: string) => `
  WITH product AS (SELECT * FROM jsonb_to_recordset($5::jsonb) AS product(serial_number text, id bigint))
  INSERT INTO upload.outbox (exchange, routing_key, payload, headers)
  SELECT $2, $3, jsonb_build_object(
      'message_id', gen_random_uuid(),
      'type', $3::text,
      'version', 1,
      'occurred_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'request_id', item.request_id,
      'item_id', item.id,
      'source', CASE WHEN item.source_key IS NULL
        THEN jsonb_build_object('kind', 'url', 'url', item.input_url)
        ELSE jsonb_strip_nulls(jsonb_build_object('kind', 'file', 'key', item.source_key, 'content_type', item.source_content_type))
      END,
      'options', request.options - 'webhook_url',
      'product', jsonb_build_object('id', product.id, 'serial_number', item.serial_number, 'name', item.product_name)
    ), $4::jsonb
  FROM upload.items item
    JOIN upload.requests request ON request.id = item.request_id
    LEFT JOIN product ON product.serial_number = item.serial_number
  WHERE ${selection} ORDER BY item.request_id, item.row_number, item.position`;

const JOBS_OF_REQUEST_SQL = outboxJobsSql('item.request_id = $1');
const JOBS_OF_ITEMS_SQL = outboxJobsSql('item.id = ANY($1::uuid[])');

/** Writes the request, its items and its pending webhook (in the caller's transaction). */
export async function insertRequest(client: Queryable, request: NewRequest) {
  const { webhook_url } = request.options;
  await client.query('INSERT INTO upload.requests (id, kind, total, options) VALUES ($1, $2, $3, $4)', [
    request.id,
    request.kind,
    request.items.length,
    request.options,
  ]);
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
    'requestId' in selection ? [JOBS_OF_REQUEST_SQL, selection.requestId] : [JOBS_OF_ITEMS_SQL, selection.itemIds];
  await client.query(sql, [selected, EXCHANGES.jobs, ROUTING_KEYS.process, traceHeaders(), JSON.stringify(products)]);
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
