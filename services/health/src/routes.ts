import type { HealthDetailed, HealthSummary, Probe } from '@ipp/contracts';
import { getHealthDetailedRoute, getHealthRoute, getLivenessRoute, getReadinessRoute } from '@ipp/contracts/routes';
import type { AppEnv } from '@ipp/platform';
import { createApiRoutes } from '@ipp/platform/api-routes';
import type { Hono } from 'hono';
import type { createAggregator } from './aggregator.ts';

const httpStatus = (status: string) => (status === 'down' ? 503 : 200);
const pick = ({ status, latency_ms, error }: { status: Probe['status']; latency_ms: number; error?: string }) => ({
  status,
  latency_ms,
  ...(error !== undefined && { error }),
});

/** The public health endpoints (the gateway forwards `/health*` here); 503 whenever the platform is down. */
export function mountHealthRoutes(
  app: Hono<AppEnv>,
  options: { aggregator: ReturnType<typeof createAggregator>; service: string; version: string; startedAt: number },
) {
  const { aggregator, service, version } = options;
  const api = createApiRoutes();

  api.openapi(getLivenessRoute, (c) => c.json({ status: 'ok', service, version } satisfies Probe, 200));

  api.openapi(getHealthRoute, async (c) => {
    const { status, timestamp } = await aggregator.snapshot();
    const uptime_s = Math.round((performance.now() - options.startedAt) / 100) / 10;
    return c.json({ status, version, uptime_s, timestamp } satisfies HealthSummary, httpStatus(status));
  });

  api.openapi(getReadinessRoute, async (c) => {
    const { status, reasons, checks } = await aggregator.snapshot();
    const probe = {
      status,
      service,
      version,
      checks: {
        database: pick(checks.database),
        rabbitmq: pick(checks.rabbitmq),
        product: pick(checks.services.product),
        upload: pick(checks.services.upload),
        gateway: pick(checks.services.gateway),
        image_worker: pick(checks.services.image_worker),
      },
    } satisfies Probe;
    return c.json({ ...probe, reasons }, httpStatus(status));
  });

  api.openapi(getHealthDetailedRoute, async (c) => {
    const snapshot = await aggregator.snapshot();
    const { status, timestamp, checks, reasons } = snapshot;
    return c.json(
      { status, timestamp, reasons, checks } satisfies HealthDetailed & { reasons: string[] },
      httpStatus(status),
    );
  });
  app.route('/', api);
}
