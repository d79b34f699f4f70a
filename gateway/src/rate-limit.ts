import { createPool, type Logger, type Pool } from '@ipp/platform';
import { migrate } from '@ipp/platform/migrations';
import { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { migrations } from './migrations/index.ts';

export type RateLimitStore = 'memory' | 'redis' | 'postgres';
export type Quota = { allowed: boolean; limit: number; remaining: number; resetSeconds: number };
/** A key's own budgets; an absent one is the gateway's default. */
export type OwnLimits = { points?: number; uploadPoints?: number };
export type RateLimits = {
  /** Takes one point from the client's general budget and, for an upload, from its upload budget. */
  consume: (client: string, upload: boolean, own?: OwnLimits) => Promise<Quota>;
  /** Resolves when the store answers; rejects when it does not (requests then count on the fallback). */
  check: () => Promise<void>;
  close: () => Promise<void>;
};

export type RateLimitOptions = {
  store?: RateLimitStore;
  points?: number;
  durationS?: number;
  uploadPoints?: number;
  redisUrl?: string;
  databaseUrl?: string;
  logger: Logger;
  /** Called whenever a request is counted by the in-memory fallback because the store failed. */
  onFallback?: () => void;
};

/** The in-memory limiter that answers while the shared store fails, saying so (at most every 10 s). */
class FallbackLimiter extends RateLimiterMemory {
  notify: () => void = () => undefined;
  override consume(key: string | number, points?: number, options?: { [key: string]: unknown }) {
    this.notify();
    return super.consume(key, points, options);
  }
}

function quotaFrom(result: RateLimiterRes, limit: number, allowed: boolean): Quota {
  return { allowed, limit, remaining: result.remainingPoints, resetSeconds: Math.ceil(result.msBeforeNext / 1000) };
}

function take(limiter: RateLimiterAbstract, limit: number, key: string): Promise<Quota> {
  return limiter.consume(key).then(
    (result) => quotaFrom(result, limit, true),
    (reason: unknown) => {
      if (reason instanceof RateLimiterRes) return quotaFrom(reason, limit, false);
      throw reason;
    },
  );
}

export function createRateLimits(options: RateLimitOptions): RateLimits {
  const { store = 'memory', points = 100, durationS = 60, uploadPoints = 10, logger } = options;
  let lastWarning = 0;
  const notify = () => {
    options.onFallback?.();
    const now = Date.now();
    if (now - lastWarning < 10_000) return;
    lastWarning = now;
    logger.warn({ store }, 'rate-limit store failed; counting in memory until it is back');
  };
  const fallback = (limit: number) => {
    const limiter = new FallbackLimiter({ points: limit, duration: durationS });
    limiter.notify = notify;
    return limiter;
  };

  // One limiter per budget and size: the defaults, and the sizes keys bring of their own (made on first use).
  let make: (name: string, limit: number) => RateLimiterAbstract;
  let check: () => Promise<void>;
  let close: () => Promise<void>;

  if (store === 'redis') {
    const client = new Redis(options.redisUrl ?? 'redis://127.0.0.1:6379', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    client.on('error', () => notify());
    make = (name, limit) =>
      new RateLimiterRedis({
        storeClient: client,
        points: limit,
        duration: durationS,
        keyPrefix: keyPrefixOf(name, limit, name === 'general' ? points : uploadPoints),
        insuranceLimiter: fallback(limit),
      });
    check = async () => void (await client.ping());
    close = async () => void client.disconnect();
  } else if (store === 'postgres') {
    // On every request's path: a store that does not answer within 2 s gives way to the fallback.
    const pool = createPool({
      databaseUrl: options.databaseUrl ?? '',
      max: 10,
      timeoutMs: 2000,
      onError: () => notify(),
    });
    make = (name, limit) =>
      createPostgresLimiter(
        pool,
        { limit, keyPrefix: keyPrefixOf(name, limit, name === 'general' ? points : uploadPoints) },
        fallback(limit),
        durationS,
      );
    const table = migrateInBackground(options.databaseUrl ?? '', logger);
    check = async () => {
      await pool.query('SELECT 1 FROM gateway.rate_limits LIMIT 1');
    };
    close = async () => {
      table.stop();
      await pool.end();
    };
  } else {
    make = (_name, limit) => new RateLimiterMemory({ points: limit, duration: durationS });
    check = async () => undefined;
    close = async () => undefined;
  }

  const limiters = { general: new Map<number, RateLimiterAbstract>(), upload: new Map<number, RateLimiterAbstract>() };
  const limiterOf = (name: 'general' | 'upload', limit: number) => {
    let limiter = limiters[name].get(limit);
    if (!limiter) {
      limiter = make(name, limit);
      limiters[name].set(limit, limiter);
    }
    return limiter;
  };
  limiterOf('general', points);
  limiterOf('upload', uploadPoints);

  return {
    consume: async (client, isUpload, own) => {
      const general = own?.points ?? points;
      const quota = await take(limiterOf('general', general), general, client);
      if (!quota.allowed || !isUpload) return quota;
      const upload = own?.uploadPoints ?? uploadPoints;
      return take(limiterOf('upload', upload), upload, client);
    },
    check,
    close,
  };
}

/** The default budgets keep their names (counters survive an upgrade); a key's own size gets its own. */
function keyPrefixOf(name: string, limit: number, defaultLimit: number) {
  return limit === defaultLimit ? `gateway:${name}` : `gateway:${name}:${limit}`;
}

/** Every budget shares one table in the gateway's own schema, created by its migration. */
function createPostgresLimiter(
  pool: Pool,
  budget: { limit: number; keyPrefix: string },
  insuranceLimiter: RateLimiterMemory,
  durationS: number,
) {
  return new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    schemaName: 'gateway',
    tableName: 'rate_limits',
    tableCreated: true,
    points: budget.limit,
    duration: durationS,
    keyPrefix: budget.keyPrefix,
    insuranceLimiter,
  });
}

/**
 * Applies the gateway's migrations, retrying every 2 s while the database is unreachable: the gateway serves
 * on the in-memory fallback meanwhile rather than refusing to start.
 */
function migrateInBackground(databaseUrl: string, logger: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async () => {
    try {
      await migrate({ databaseUrl, schema: 'gateway', migrations });
    } catch (error) {
      if (stopped) return;
      logger.warn({ err: error }, 'rate-limit table not migrated yet; retrying');
      timer = setTimeout(attempt, 2000);
      timer.unref();
    }
  };
  void attempt();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
