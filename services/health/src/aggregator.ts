import type { HealthStatus } from '@ipp/contracts';
import type { createDatabaseCheck } from './checks/database.ts';
import type { createBrokerCheck } from './checks/rabbitmq.ts';
import { checkService } from './checks/services.ts';
import { combineStorageReports, type StorageCheck } from './checks/storage.ts';
import type { createSystemCheck } from './checks/system.ts';
import { type Checks, overallStatus, queueProblems } from './status.ts';

export type Snapshot = { status: HealthStatus; reasons: string[]; timestamp: string; checks: Checks };

export type AggregatorOptions = {
  database: ReturnType<typeof createDatabaseCheck>;
  broker: ReturnType<typeof createBrokerCheck>;
  system: ReturnType<typeof createSystemCheck>;
  services: {
    gateway: string[];
    product: string[];
    upload: string[];
    image_worker: string[];
    web?: string[];
    auth?: string[];
  };
  timeoutMs: number;
  cacheMs: number;
  backlogThreshold: number;
  onSnapshot?: (snapshot: Snapshot) => void;
};

/**
 * Runs every check concurrently and keeps the result for `cacheMs`. Callers arriving while a run is in
 * flight share it, so a flood of probes costs one round of checks against the dependencies.
 */
export function createAggregator(options: AggregatorOptions) {
  let cached: { snapshot: Snapshot; at: number } | undefined;
  let inflight: Promise<Snapshot> | undefined;

  async function run(): Promise<Snapshot> {
    const { services, timeoutMs } = options;
    const storageReports: StorageCheck[] = [];
    const [database, broker, system, gateway, product, upload, image_worker, web, auth] = await Promise.all([
      options.database.check(),
      options.broker.check(),
      options.system(),
      checkService(services.gateway, timeoutMs),
      checkService(services.product, timeoutMs),
      checkService(services.upload, timeoutMs, storageReports),
      checkService(services.image_worker, timeoutMs, storageReports),
      services.web ? checkService(services.web, timeoutMs) : undefined,
      services.auth ? checkService(services.auth, timeoutMs) : undefined,
    ]);
    const problems = queueProblems(broker.queues.queues, options.backlogThreshold);
    const queues =
      problems.length > 0 && broker.queues.status === 'ok'
        ? { ...broker.queues, status: 'degraded' as const, error: problems.join('; ') }
        : broker.queues;
    const checks: Checks = {
      database,
      rabbitmq: broker.rabbitmq,
      storage: combineStorageReports(storageReports),
      services: { gateway, product, upload, image_worker, ...(web ? { web } : {}), ...(auth ? { auth } : {}) },
      queues,
      system,
    };
    return { ...overallStatus(checks), timestamp: new Date().toISOString(), checks };
  }

  return {
    snapshot(): Promise<Snapshot> {
      if (cached && performance.now() - cached.at < options.cacheMs) return Promise.resolve(cached.snapshot);
      inflight ??= run()
        .then((snapshot) => {
          cached = { snapshot, at: performance.now() };
          options.onSnapshot?.(snapshot);
          return snapshot;
        })
        .finally(() => {
          inflight = undefined;
        });
      return inflight;
    },
  };
}
