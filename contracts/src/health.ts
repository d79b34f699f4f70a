import { z } from './zod.ts';

export const HealthStatusSchema = z.enum(['ok', 'degraded', 'down']);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

export const HealthSummarySchema = z
  .object({
    status: HealthStatusSchema,
    version: z.string(),
    uptime_s: z.number(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: 'HealthSummary' });

export const StorageDriverSchema = z.enum(['fs', 's3']);

/** What every service's own `/health/live` and `/health/ready` answer. */
export const ProbeSchema = z
  .object({
    status: HealthStatusSchema,
    service: z.string(),
    version: z.string(),
    checks: z
      .record(
        z.string(),
        z.object({
          status: HealthStatusSchema,
          latency_ms: z.number(),
          error: z.string().optional(),
          driver: StorageDriverSchema.optional().meta({ description: 'The storage check’s driver.' }),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Probe' });

export const CheckSchema = z.object({
  status: HealthStatusSchema,
  latency_ms: z.number(),
  error: z.string().optional(),
});

export const ServiceCheckSchema = CheckSchema.extend({
  version: z.string().optional(),
  replicas: z.array(CheckSchema.extend({ url: z.string(), version: z.string().optional() })).optional(),
});

export const QueueCheckSchema = z.object({ messages: z.number().int(), consumers: z.number().int() });

export const HealthDetailedSchema = z
  .object({
    status: HealthStatusSchema,
    timestamp: z.iso.datetime(),
    checks: z.object({
      database: CheckSchema.extend({
        pool: z.object({ total: z.number().int(), idle: z.number().int(), waiting: z.number().int() }).optional(),
      }),
      rabbitmq: CheckSchema,
      storage: CheckSchema.extend({ driver: StorageDriverSchema.optional() }).meta({
        description:
          'Storage as the upload service and the workers see it: their readiness check (a write and a delete), ' +
          'the slowest latency, and the driver.',
      }),
      services: z.object({
        gateway: ServiceCheckSchema,
        product: ServiceCheckSchema,
        upload: ServiceCheckSchema,
        image_worker: ServiceCheckSchema,
        // Present when the aggregator is told where the web app runs (WEB_APP_URL).
        web: ServiceCheckSchema.optional(),
        // Present when the aggregator is told where the auth service runs (AUTH_SERVICE_URL).
        auth: ServiceCheckSchema.optional(),
      }),
      queues: CheckSchema.extend({ queues: z.record(z.string(), QueueCheckSchema) }),
      system: CheckSchema.extend({
        cpu: z.object({ cores: z.number().int(), load_1m: z.number(), percent: z.number() }),
        memory: z.object({ total_bytes: z.number(), used_bytes: z.number(), percent: z.number() }),
        disk: z.object({ path: z.string(), total_bytes: z.number(), used_bytes: z.number(), percent: z.number() }),
      }),
    }),
  })
  .meta({ id: 'HealthDetailed' });

export type HealthSummary = z.infer<typeof HealthSummarySchema>;
export type Probe = z.infer<typeof ProbeSchema>;
export type HealthDetailed = z.infer<typeof HealthDetailedSchema>;
