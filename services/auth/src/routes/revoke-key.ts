import type { OpenAPIHono } from '@hono/zod-openapi';
import { revokeKeyRoute } from '@ipp/contracts/routes';
import { type AppEnv, AppError, type Pool } from '@ipp/platform';
import { revokeKey } from '../key-repository.ts';

/** `DELETE /api/keys/{id}` → 204; the gateways drop the key at their next refresh. */
export function mountRevokeKey(api: OpenAPIHono<AppEnv>, options: { pool: Pool; onRevoked: () => void }) {
  api.openapi(revokeKeyRoute, async (c) => {
    const { id } = c.req.valid('param');
    const outcome = await revokeKey(options.pool, id);
    if (!outcome) throw new AppError('not_found', `No key ${id}`);
    if (outcome === 'revoked') {
      options.onRevoked();
      c.get('log').info({ key_id: id }, 'key revoked');
    }
    return c.body(null, 204);
  });
}
