import type { Logger } from '@ipp/platform';
import { blockedCause, checkUrl, createGuardedAgent, type NetworkPolicy } from '@ipp/platform/ssrf-guard';
import { withSpan } from '@ipp/platform/telemetry';
import { SpanStatusCode } from '@opentelemetry/api';
import { Webhook } from 'standardwebhooks';
import { fetch } from 'undici';
import { createBackgroundLoop } from './background-loop.ts';
import type { Pool } from './database.ts';

type Due = { id: string; url: string; payload: unknown; attempts: number };
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

function originOf(url: string) {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid url';
  }
}

/** Exponential backoff with jitter: base, 2×base, 4×base … capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number) {
  const delay = Math.min(baseMs * 2 ** (attempt - 1), maxMs);
  return Math.round(delay * (0.8 + Math.random() * 0.4));
}

/**
 * Delivers completion webhooks per Standard Webhooks (the same `webhook-id` on every retry), through the
 * SSRF guard, retrying errors, timeouts and non-2xx answers with backoff. Attempts and the next attempt
 * time live in the database, so a restarted process carries on; a claimed row is leased for the length of
 * one attempt so replicas never deliver the same attempt twice.
 */
export function createWebhookDispatcher(options: {
  pool: Pool;
  secret: string;
  policy: NetworkPolicy;
  logger: Logger;
  timeoutMs: number;
  onOutcome?: (outcome: DeliveryOutcome) => void;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  pollMs?: number;
}) {
  const {
    pool,
    logger,
    timeoutMs,
    maxAttempts = 8,
    baseDelayMs = 5_000,
    maxDelayMs = 3_600_000,
    pollMs = 1000,
  } = options;
  const signer = new Webhook(options.secret);
  const agent = createGuardedAgent(options.policy);

  async function claim(): Promise<Due[]> {
    const { rows } = await pool.query<Due>(
      `UPDATE upload.webhook_deliveries SET status = 'delivering', updated_at = now(),
         next_attempt_at = now() + make_interval(secs => $1)
       WHERE id IN (SELECT id FROM upload.webhook_deliveries
         WHERE status IN ('pending', 'delivering') AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED)
       RETURNING id, url, payload, attempts`,
      [Math.ceil(timeoutMs / 1000) + 5],
    );
    return rows;
  }

  /** One POST; undefined when the receiver answered 2xx, else why not. */
  async function post(due: Due): Promise<{ error?: string; permanent?: boolean }> {
    const body = JSON.stringify(due.payload);
    const timestamp = new Date();
    try {
      const url = checkUrl(due.url, options.policy);
      const response = await fetch(url, {
        method: 'POST',
        body,
        redirect: 'manual',
        dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ipp-webhooks/1',
          'webhook-id': due.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signer.sign(due.id, timestamp, body),
        },
      });
      await response.body?.cancel();
      return response.ok ? {} : { error: `receiver answered ${response.status}` };
    } catch (error) {
      const blocked = blockedCause(error);
      if (blocked) return { error: blocked.message, permanent: true };
      return {
        error:
          error instanceof Error ? `${error.name}: ${(error.cause as Error)?.message ?? error.message}` : String(error),
      };
    }
  }

  async function deliver(due: Due) {
    const attempts = due.attempts + 1;
    const result = await withSpan(
      'webhook.deliver',
      { 'webhook.id': due.id, 'webhook.attempt': attempts, 'server.address': originOf(due.url) },
      async (span) => {
        const outcome = await post(due);
        if (outcome.error) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
        return outcome;
      },
    );
    let outcome: DeliveryOutcome = 'delivered';
    if (result.error) outcome = result.permanent || attempts >= maxAttempts ? 'failed' : 'retry';
    await pool.query(
      `UPDATE upload.webhook_deliveries SET attempts = $2, last_error = $3, updated_at = now(),
         status = CASE $4::text WHEN 'delivered' THEN 'delivered' WHEN 'failed' THEN 'failed' ELSE 'pending' END,
         delivered_at = CASE WHEN $4::text = 'delivered' THEN now() END,
         next_attempt_at = CASE WHEN $4::text = 'retry' THEN now() + make_interval(secs => $5::float8 / 1000) END
       WHERE id = $1`,
      [due.id, attempts, result.error ?? null, outcome, retryDelayMs(attempts, baseDelayMs, maxDelayMs)],
    );
    options.onOutcome?.(outcome);
    // Only the origin: a webhook URL's path or query often carries a token.
    const log = { webhook_id: due.id, origin: originOf(due.url), attempts, error: result.error };
    if (outcome === 'delivered') logger.info(log, 'webhook delivered');
    else logger.warn(log, outcome === 'retry' ? 'webhook delivery failed; will retry' : 'webhook delivery gave up');
  }

  const loop = createBackgroundLoop({
    name: 'webhook dispatcher',
    logger,
    pollMs,
    async pass() {
      const due = await claim();
      await Promise.all(due.map(deliver));
      return due.length > 0 ? 'more' : 'idle';
    },
  });
  return {
    ...loop,
    async stop() {
      await loop.stop();
      await agent.close();
    },
  };
}
