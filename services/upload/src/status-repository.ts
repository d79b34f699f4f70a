import type { RequestStatus, UploadItem, UploadStatus, UploadSummary } from '@ipp/contracts';
import { type Caller, ownerCondition } from './caller.ts';
import type { Queryable } from './database.ts';

type RequestRow = {
  id: string;
  status: RequestStatus;
  total: number;
  processed: number;
  failed: number;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  webhook_url: string | null;
  webhook_status: NonNullable<UploadStatus['webhook']>['status'] | null;
  webhook_attempts: number | null;
};

const FINAL: RequestStatus[] = ['completed', 'completed_with_errors', 'failed'];
export const isFinal = (status: RequestStatus) => FINAL.includes(status);

const REQUEST_COLUMNS = `request.id, request.status, request.total, request.processed, request.failed,
  request.created_at, request.updated_at, request.completed_at,
  webhook.url AS webhook_url, webhook.status AS webhook_status, webhook.attempts AS webhook_attempts`;
/** A request being deleted is gone for every reader from the moment it is marked. */
const VISIBLE = 'request.deleting_since IS NULL';
const REQUEST_FROM =
  'upload.requests request LEFT JOIN upload.webhook_deliveries webhook ON webhook.request_id = request.id';

export function outputCsvUrl(publicBaseUrl: string, requestId: string) {
  return new URL(`/api/uploads/${requestId}/output.csv`, publicBaseUrl).toString();
}

function summaryOf(row: RequestRow, publicBaseUrl: string): UploadSummary {
  return {
    request_id: row.id,
    status: row.status,
    total: row.total,
    processed: row.processed,
    failed: row.failed,
    progress: row.total ? (row.processed + row.failed) / row.total : 1,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    completed_at: row.completed_at?.toISOString() ?? null,
    output_csv_url: isFinal(row.status) ? outputCsvUrl(publicBaseUrl, row.id) : null,
    webhook:
      row.webhook_url && row.webhook_status
        ? { url: row.webhook_url, status: row.webhook_status, attempts: row.webhook_attempts ?? 0 }
        : null,
  };
}

const bytes = (value: string | null) => (value === null ? null : Number(value));

export async function findItems(db: Queryable, requestId: string): Promise<UploadItem[]> {
  const { rows } = await db.query(
    `SELECT serial_number, product_name, input_url, output_url, thumbnail_url, status, error, input_bytes, output_bytes
     FROM upload.items WHERE request_id = $1 ORDER BY row_number, position`,
    [requestId],
  );
  return rows.map((row) => ({ ...row, input_bytes: bytes(row.input_bytes), output_bytes: bytes(row.output_bytes) }));
}

export async function findSummary(db: Queryable, requestId: string, publicBaseUrl: string, caller: Caller) {
  const visible = ownerCondition(caller, 2);
  const { rows } = await db.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM} WHERE request.id = $1 AND ${VISIBLE} AND ${visible.sql}`,
    [requestId, ...visible.params],
  );
  return rows[0] && summaryOf(rows[0], publicBaseUrl);
}

export async function findStatus(
  db: Queryable,
  requestId: string,
  publicBaseUrl: string,
  caller: Caller,
): Promise<UploadStatus | undefined> {
  const summary = await findSummary(db, requestId, publicBaseUrl, caller);
  return summary && { ...summary, items: await findItems(db, requestId) };
}

export async function listSummaries(
  db: Queryable,
  page: number,
  perPage: number,
  publicBaseUrl: string,
  caller: Caller,
) {
  const visible = ownerCondition(caller, 3);
  const [list, count] = await Promise.all([
    db.query<RequestRow>(
      `SELECT ${REQUEST_COLUMNS} FROM ${REQUEST_FROM} WHERE ${VISIBLE} AND ${visible.sql}
       ORDER BY request.created_at DESC, request.id DESC LIMIT $1 OFFSET $2`,
      [perPage, (page - 1) * perPage, ...visible.params],
    ),
    db.query<{ total: number }>(
      `SELECT count(*)::int AS total FROM upload.requests request WHERE ${VISIBLE} AND ${ownerCondition(caller, 1).sql}`,
      visible.params,
    ),
  ]);
  return { items: list.rows.map((row) => summaryOf(row, publicBaseUrl)), total: count.rows[0]?.total ?? 0 };
}

export type Changes = {
  summary: UploadSummary;
  /** The request's latest version: every change up to it is in this read. */
  version: number;
  /** The version of the last change of the request's counters or status. */
  summaryVersion: number;
  /** The items changed after the version asked for, in their current state, oldest change first. */
  items: (UploadItem & { version: number })[];
};

/**
 * What changed in a request after `after` (every item when `after` is -1), read in one statement so the
 * summary and the items are one snapshot. Versions grow in commit order per request (migration
 * add-change-versions), so nothing committed at or below `version` can appear later.
 */
export async function findChanges(
  db: Queryable,
  requestId: string,
  after: number,
  publicBaseUrl: string,
): Promise<Changes | undefined> {
  const { rows } = await db.query<RequestRow & { version: string; summary_version: string; items: Changes['items'] }>(
    `SELECT ${REQUEST_COLUMNS}, request.version, request.summary_version,
       (SELECT coalesce(json_agg(json_build_object(
           'serial_number', item.serial_number, 'product_name', item.product_name, 'input_url', item.input_url,
           'output_url', item.output_url, 'thumbnail_url', item.thumbnail_url, 'status', item.status,
           'error', item.error, 'input_bytes', item.input_bytes, 'output_bytes', item.output_bytes,
           'version', item.version) ORDER BY item.version, item.row_number, item.position), '[]')
        FROM upload.items item WHERE item.request_id = request.id AND item.version > $2) AS items
     FROM ${REQUEST_FROM} WHERE request.id = $1 AND ${VISIBLE}`,
    [requestId, after],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    summary: summaryOf(row, publicBaseUrl),
    version: Number(row.version),
    summaryVersion: Number(row.summary_version),
    items: row.items,
  };
}
