import type { Metrics } from '@ipp/platform';
import { Counter, Gauge } from 'prom-client';
import type { Pool } from './database.ts';

export type UploadMetrics = ReturnType<typeof createUploadMetrics>;

/** The upload service's own series, registered on the process registry. */
export function createUploadMetrics(metrics: Metrics, pool: Pool) {
  const registers = [metrics.registry];
  new Gauge({
    name: 'upload_outbox_backlog',
    help: 'Jobs written to the outbox and not yet confirmed by the broker.',
    registers,
    async collect() {
      const { rows } = await pool.query<{ backlog: number }>(
        'SELECT count(*)::int AS backlog FROM upload.outbox WHERE sent_at IS NULL',
      );
      this.set(rows[0]?.backlog ?? 0);
    },
  });
  return {
    jobsPublished: new Counter({
      name: 'upload_jobs_published_total',
      help: 'Jobs confirmed by the broker.',
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'upload_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (delivered, retry, failed).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    eventsHandled: new Counter({
      name: 'upload_events_handled_total',
      help: 'Image events consumed, by type and whether they changed an item.',
      labelNames: ['type', 'applied'] as const,
      registers,
    }),
    itemsRepublished: new Counter({
      name: 'upload_items_republished_total',
      help: 'Jobs of stalled items (no result within ITEM_STALL_TIMEOUT_S) published again.',
      registers,
    }),
    itemsStalled: new Counter({
      name: 'upload_items_stalled_total',
      help: 'Items failed as stalled: still no result after ITEM_MAX_REPUBLISHES republications.',
      registers,
    }),
  };
}
