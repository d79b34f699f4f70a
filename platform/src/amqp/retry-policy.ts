/**
 * What becomes of a message, decided here and nowhere else: a handler that resolves has it acked; one that
 * throws has it retried through the delay queues, then dead-lettered after the last tier; a message that is
 * not JSON or breaks its schema is dead-lettered at once. An error that means the consumer's own dependency
 * is down (`isOutage`) retries without using up an attempt. Failing an item for good is the handler's
 * business: it records the failure (the worker publishes `image.failed`) and resolves.
 */

/** Delays of the tiered retry queues; a message is tried once plus once per tier, then dead-lettered. */
export const RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000];

/** Which try of a message this is, carried across the delay queues. */
export const ATTEMPT_HEADER = 'x-attempt';

export type Fate =
  | { action: 'retry'; delayMs: number; attempt: number }
  | { action: 'dead-letter' }
  /** Back on the work queue at once: no delay queue to wait in. */
  | { action: 'requeue' };

/** `<queue>.delay.<ms>`: a new name for the quorum delay queues, so a broker still holding the classic
 * `<queue>.retry.<ms>` queues of earlier versions keeps them (they drain into the work queues by themselves). */
export function retryQueueName(queue: string, delayMs: number) {
  return `${queue}.delay.${delayMs}`;
}

export function attemptOf(headers: Record<string, unknown>) {
  return Number(headers[ATTEMPT_HEADER] ?? 1) || 1;
}

export function createRetryPolicy(retryDelaysMs: readonly number[] = RETRY_DELAYS_MS) {
  return {
    retryDelaysMs,
    isFinalAttempt: (attempt: number) => attempt >= retryDelaysMs.length + 1,
    /** The fate of a message whose handler threw on try `attempt`. */
    afterFailure(attempt: number, outage: boolean): Fate {
      const delayMs = outage ? retryDelaysMs[0] : retryDelaysMs[attempt - 1];
      if (delayMs === undefined) return { action: outage ? 'requeue' : 'dead-letter' };
      return { action: 'retry', delayMs, attempt: outage ? attempt : attempt + 1 };
    },
  };
}

export type RetryPolicy = ReturnType<typeof createRetryPolicy>;
