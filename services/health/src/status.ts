import { type HealthStatus, QUEUES } from '@ipp/contracts';
import type { DatabaseCheck } from './checks/database.ts';
import type { BrokerCheck } from './checks/rabbitmq.ts';
import type { ServiceCheck } from './checks/services.ts';
import type { StorageCheck } from './checks/storage.ts';
import type { SystemCheck } from './checks/system.ts';

export type Checks = {
  database: DatabaseCheck;
  rabbitmq: BrokerCheck['rabbitmq'];
  /** Reported, not judged again: storage that fails makes the upload service (and the workers) not ready. */
  storage: StorageCheck;
  services: {
    gateway: ServiceCheck;
    product: ServiceCheck;
    upload: ServiceCheck;
    image_worker: ServiceCheck;
    web?: ServiceCheck;
    auth?: ServiceCheck;
  };
  queues: BrokerCheck['queues'];
  system: SystemCheck;
};

/** What is wrong with the queues: no worker consuming jobs, or a backlog above the threshold. */
export function queueProblems(
  queues: Record<string, { messages: number; consumers: number }>,
  backlogThreshold: number,
) {
  const problems: string[] = [];
  const jobs = queues[QUEUES.jobs];
  if (jobs && jobs.consumers === 0) problems.push(`no image worker consuming ${QUEUES.jobs}`);
  for (const [queue, stats] of Object.entries(queues)) {
    if (queue !== QUEUES.deadLetter && stats.messages > backlogThreshold) {
      problems.push(`${queue} backlog ${stats.messages} above ${backlogThreshold}`);
    }
  }
  return problems;
}

/**
 * `down` when a critical dependency (database, broker, product, upload) is down; `degraded` when
 * anything else is wrong (no worker consuming jobs, a backlog, a full disk, the gateway or some replicas
 * not ready); `ok` otherwise. `reasons` names each problem.
 */
export function overallStatus(checks: Checks): { status: HealthStatus; reasons: string[] } {
  const critical = {
    database: checks.database,
    rabbitmq: checks.rabbitmq,
    product: checks.services.product,
    upload: checks.services.upload,
  };
  const down = Object.entries(critical).filter(([, check]) => check.status === 'down');
  if (down.length > 0)
    return { status: 'down', reasons: down.map(([name, check]) => `${name} down: ${check.error ?? 'not ready'}`) };

  const reasons: string[] = [];
  for (const [name, check] of Object.entries(checks.services)) {
    if (check.status !== 'ok') reasons.push(`${name} ${check.status}: ${check.error ?? 'not ready'}`);
  }
  for (const name of ['queues', 'system'] as const) {
    if (checks[name].status !== 'ok') reasons.push(`${name} ${checks[name].status}: ${checks[name].error}`);
  }
  return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons };
}
