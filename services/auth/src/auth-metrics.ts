import type { Metrics, Pool } from '@ipp/platform';
import { Counter, Gauge } from 'prom-client';

export type AuthMetrics = ReturnType<typeof createAuthMetrics>;

/** The auth service's own metrics, on the process registry beside the HTTP ones. */
export function createAuthMetrics(metrics: Metrics, pool: Pool) {
  const registers = [metrics.registry];
  new Gauge({
    name: 'auth_keys_active',
    help: 'Keys neither revoked nor expired.',
    registers,
    async collect() {
      const { rows } = await pool.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM auth.keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())',
      );
      this.set(rows[0]?.count ?? 0);
    },
  });
  return {
    keysCreated: new Counter({ name: 'auth_keys_created_total', help: 'Keys created.', registers }),
    keysRevoked: new Counter({ name: 'auth_keys_revoked_total', help: 'Keys revoked.', registers }),
    snapshots: new Counter({
      name: 'auth_snapshots_total',
      help: 'Key snapshots asked for by gateways: sent, or unchanged (304).',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}
