import type { Metrics } from '@ipp/platform';
import { Gauge } from 'prom-client';
import type { Snapshot } from './aggregator.ts';

const LEVEL = { ok: 0, degraded: 1, down: 2 } as const;

/** Gauges of the latest snapshot: overall and per-check status (0 ok, 1 degraded, 2 down), latency, queues. */
export function createHealthMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  const status = new Gauge({ name: 'health_status', help: 'Platform status: 0 ok, 1 degraded, 2 down.', registers });
  const checkStatus = new Gauge({
    name: 'health_check_status',
    help: 'Check status: 0 ok, 1 degraded, 2 down.',
    labelNames: ['check'] as const,
    registers,
  });
  const checkLatency = new Gauge({
    name: 'health_check_latency_seconds',
    help: 'Latency of the latest check.',
    labelNames: ['check'] as const,
    registers,
  });
  const queueMessages = new Gauge({
    name: 'health_queue_messages',
    help: 'Messages ready in a queue.',
    labelNames: ['queue'] as const,
    registers,
  });
  const queueConsumers = new Gauge({
    name: 'health_queue_consumers',
    help: 'Consumers of a queue.',
    labelNames: ['queue'] as const,
    registers,
  });

  return function record(snapshot: Snapshot) {
    const { checks } = snapshot;
    status.set(LEVEL[snapshot.status]);
    const flat = {
      database: checks.database,
      rabbitmq: checks.rabbitmq,
      queues: checks.queues,
      system: checks.system,
      ...checks.services,
    };
    for (const [check, result] of Object.entries(flat)) {
      checkStatus.set({ check }, LEVEL[result.status]);
      checkLatency.set({ check }, result.latency_ms / 1000);
    }
    for (const [queue, stats] of Object.entries(checks.queues.queues)) {
      queueMessages.set({ queue }, stats.messages);
      queueConsumers.set({ queue }, stats.consumers);
    }
  };
}
