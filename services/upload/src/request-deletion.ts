import { randomUUID } from 'node:crypto';
import { EXCHANGES, ROUTING_KEYS, type UploadDeleted, UploadDeletedSchema } from '@ipp/contracts';
import { csvKey, type ObjectStorage, outputsPrefix } from '@ipp/platform/storage';
import { type Caller, ownerCondition } from './caller.ts';
import { type Pool, type Queryable, transaction } from './database.ts';
import { isFinal } from './status-repository.ts';
import { writeOutbox } from './upload-repository.ts';

export type DeleteOutcome = 'deleted' | 'not_found' | 'unfinished';

/**
 * Deleting a request happens in two steps, so that a process killed anywhere leaves nothing half done:
 *
 * 1. `markDeleting`, one transaction: `deleting_since` is set (the request is gone for every reader from
 *    then on), its idempotency key is released, and `upload.deleted` goes into the outbox for the product
 *    service to drop the images it attached.
 * 2. `removeMarked`: every object the request stored (source images, `outputs/<request>/`, the output CSV),
 *    then its rows. Each part is idempotent; a step cut short is finished by a retry of the DELETE or by the
 *    deletion sweep, which claims a request whose mark is older than a lease.
 */
export async function deleteRequest(
  options: { pool: Pool; storage: ObjectStorage },
  requestId: string,
  caller: Caller,
) {
  // Another key's request is not found, as it is for every reader (404, never 403).
  const owned = ownerCondition(caller, 2);
  const marked = await transaction(options.pool, async (client) => {
    const { rows } = await client.query<{ status: Parameters<typeof isFinal>[0]; deleting: boolean }>(
      `SELECT status, deleting_since IS NOT NULL AS deleting FROM upload.requests request
       WHERE id = $1 AND ${owned.sql} FOR UPDATE`,
      [requestId, ...owned.params],
    );
    const request = rows[0];
    if (!request) return 'not_found';
    // A deletion already under way (a retry after a failure or a crash) is carried on, not started again.
    if (request.deleting) return 'deleting';
    if (!isFinal(request.status)) return 'unfinished';
    await markDeleting(client, [requestId]);
    return 'marked';
  });
  if (marked === 'not_found' || marked === 'unfinished') return marked satisfies DeleteOutcome;
  await removeMarked(options, requestId);
  return 'deleted' satisfies DeleteOutcome;
}

/** Step 1 for some requests, in the caller's transaction (which holds their rows locked). */
export async function markDeleting(client: Queryable, requestIds: string[]) {
  await client.query('UPDATE upload.requests SET deleting_since = now() WHERE id = ANY($1::uuid[])', [requestIds]);
  await client.query('DELETE FROM upload.idempotency_keys WHERE request_id = ANY($1::uuid[])', [requestIds]);
  const events = requestIds.map((requestId) =>
    UploadDeletedSchema.parse({
      message_id: randomUUID(),
      type: ROUTING_KEYS.uploadDeleted,
      version: 1,
      occurred_at: new Date().toISOString(),
      request_id: requestId,
    } satisfies UploadDeleted),
  );
  await writeOutbox(client, EXCHANGES.uploads, ROUTING_KEYS.uploadDeleted, events);
}

/** Step 2: the objects of a marked request, then its rows (items, webhook delivery and key go with it). */
export async function removeMarked(options: { pool: Pool; storage: ObjectStorage }, requestId: string) {
  const { pool, storage } = options;
  const { rows } = await pool.query<{ source_key: string }>(
    'SELECT source_key FROM upload.items WHERE request_id = $1 AND source_key IS NOT NULL',
    [requestId],
  );
  for (const { source_key } of rows) await storage.delete(source_key);
  await storage.deletePrefix(outputsPrefix(requestId));
  await storage.delete(csvKey(requestId));
  await pool.query('DELETE FROM upload.requests WHERE id = $1 AND deleting_since IS NOT NULL', [requestId]);
}
