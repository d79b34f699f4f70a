import { DEFAULT_QUALITY, type UploadOptions } from '@ipp/contracts';
import { AppError } from '@ipp/platform';
import { type Pool, transaction } from './database.ts';
import type { ProductClient } from './product-client.ts';
import {
  claimIdempotencyKey,
  findIdempotencyKey,
  type IdempotencyRecord,
  insertJobs,
  insertRequest,
  type NewItem,
  type NewRequest,
} from './upload-repository.ts';

export type PlannedItem = Omit<NewItem, 'id'>;
export type IngestPlan = { kind: 'csv' | 'images'; items: PlannedItem[]; options: UploadOptions; bodyHash: string };
export type Accepted = { request_id: string; total: number; replayed: boolean };

export type IngestDependencies = { pool: Pool; products: ProductClient; onAccepted: () => void };

function replayOf(record: IdempotencyRecord, bodyHash: string): Accepted {
  if (record.body_hash !== bodyHash) {
    throw new AppError('conflict', 'This Idempotency-Key was used with a different upload; use a new key');
  }
  return { request_id: record.request_id, total: record.total, replayed: true };
}

/**
 * Accepts a checked upload for its owner (the caller's key; null without one): makes sure its products exist,
 * then writes the request, its items and their jobs in one transaction (the outbox relay publishes them). The
 * same Idempotency-Key from the same owner with the same body returns the first request; with a different
 * body it is a conflict. Owners never meet through their keys: each has its own Idempotency-Keys.
 */
export async function acceptUpload(
  dependencies: IngestDependencies,
  plan: IngestPlan,
  owner: string | null,
  clientKey?: string,
) {
  const { pool, products } = dependencies;
  // A key is visible ASCII without spaces, so the owner and a space before it cannot be forged.
  const idempotencyKey = clientKey && owner ? `${owner} ${clientKey}` : clientKey;
  if (idempotencyKey) {
    const existing = await findIdempotencyKey(pool, idempotencyKey);
    if (existing) return replayOf(existing, plan.bodyHash);
  }
  const names = new Map(plan.items.map((item) => [item.serial_number, item.product_name]));
  // The product service works while the items are written; the jobs, which carry product ids, wait for it.
  const ensuring = products.ensure([...names].map(([serial_number, name]) => ({ serial_number, name })));
  ensuring.catch(() => undefined);

  const requestId = crypto.randomUUID();
  const { options } = plan;
  const request: NewRequest = {
    id: requestId,
    kind: plan.kind,
    options: {
      quality: options.quality ?? DEFAULT_QUALITY,
      format: options.format ?? 'original',
      max_width: options.max_width ?? null,
      max_height: options.max_height ?? null,
      webhook_url: options.webhook_url ?? null,
    },
    items: plan.items.map((item) => ({ ...item, id: crypto.randomUUID() })),
    webhookId: options.webhook_url ? crypto.randomUUID() : null,
    ownerKeyId: owner,
  };
  try {
    await transaction(pool, async (client) => {
      await insertRequest(client, request);
      if (idempotencyKey && !(await claimIdempotencyKey(client, idempotencyKey, plan.bodyHash, requestId))) {
        throw new KeyTaken();
      }
      await insertJobs(client, { requestId: request.id }, await ensuring);
    });
  } catch (error) {
    if (!(error instanceof KeyTaken) || !idempotencyKey) throw error;
    // A concurrent upload with the same key committed first: this one is rolled back and answers as that one.
    const winner = await findIdempotencyKey(pool, idempotencyKey);
    if (!winner) throw error;
    return replayOf(winner, plan.bodyHash);
  }
  dependencies.onAccepted();
  return { request_id: requestId, total: plan.items.length, replayed: false } satisfies Accepted;
}

class KeyTaken extends Error {}
