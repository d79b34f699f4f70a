import { PageQuerySchema, pageOf } from './pagination.ts';
import { z } from './zod.ts';

/** What a key may do. `admin` implies every other scope and sees every client's uploads. */
export const SCOPES = ['products:read', 'products:write', 'uploads:read', 'uploads:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** The visible part every key starts with, so a leaked key is recognised by secret scanners and people. */
export const KEY_PREFIX = 'ipp_';

export const KeyIdSchema = z.uuid('key id must be a UUID');
export const ScopeSchema = z.enum(SCOPES, `scope must be one of ${SCOPES.join(', ')}`);

/** A key's own rate limits; an absent field takes the gateway's default budget. */
export const KeyRateLimitSchema = z
  .object({
    points: z.number().int().min(1).max(1_000_000).optional().meta({ description: 'General budget per window.' }),
    upload_points: z.number().int().min(1).max(1_000_000).optional().meta({ description: 'Upload budget per window.' }),
  })
  .strict()
  .meta({ id: 'KeyRateLimit' });

export const CreateKeySchema = z
  .object({
    name: z.string().trim().min(1, 'name must not be empty').max(200).meta({ example: 'catalogue importer' }),
    scopes: z
      .array(ScopeSchema)
      .min(1, 'scopes must name at least one scope')
      .max(SCOPES.length)
      .refine((scopes) => new Set(scopes).size === scopes.length, 'scopes must not repeat')
      .meta({ example: ['uploads:read', 'uploads:write'] }),
    expires_at: z.iso
      .datetime({ offset: true, error: 'expires_at must be an ISO 8601 date-time' })
      .refine((value) => Date.parse(value) > Date.now(), 'expires_at must be in the future')
      .nullable()
      .optional(),
    rate_limit: KeyRateLimitSchema.optional(),
  })
  .strict()
  .meta({ id: 'CreateKey' });
export type CreateKey = z.infer<typeof CreateKeySchema>;

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    prefix: z.string().meta({ example: 'ipp_Xk3v9QaB', description: 'The key’s first characters, to recognise it.' }),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    rate_limit: z.object({ points: z.number().int().nullable(), upload_points: z.number().int().nullable() }),
    expires_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable().meta({ description: 'Reported by the gateways within seconds.' }),
    revoked_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const CreatedKeySchema = ApiKeySchema.omit({ last_used_at: true, revoked_at: true })
  .extend({
    key: z.string().meta({
      example: 'ipp_Xk3v9QaBn2Lr5Tq8Wc1Ye4Ud7Sf0Hg6Jm',
      description: 'The key itself: shown this once and never again (only its hash is stored).',
    }),
  })
  .meta({ id: 'CreatedKey' });
export type CreatedKey = z.infer<typeof CreatedKeySchema>;

export const KeyListSchema = pageOf(ApiKeySchema).meta({ id: 'KeyList' });
export const ListKeysQuerySchema = PageQuerySchema;

/**
 * What a gateway holds to verify keys without asking anyone (`GET /internal/keys`): every key that is
 * neither revoked nor expired, by SHA-256 of the key. Never public.
 */
export const KeySnapshotSchema = z.object({
  keys: z.array(
    z.object({
      id: z.uuid(),
      prefix: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      scopes: z.array(ScopeSchema),
      expires_at: z.iso.datetime().nullable(),
      rate_limit: ApiKeySchema.shape.rate_limit,
    }),
  ),
});
export type KeySnapshot = z.infer<typeof KeySnapshotSchema>;

/** When each key was last used, as gateways report it (`POST /internal/keys/usage`). */
export const KeyUsageSchema = z.object({
  used: z.array(z.object({ id: z.uuid(), at: z.iso.datetime() })).max(10_000),
});
export type KeyUsage = z.infer<typeof KeyUsageSchema>;

/**
 * Headers the gateway sets on what it forwards (and strips from every client): the key that made the
 * request, and whether it sees only its own uploads (`own`) or every client's (`all`, the `admin` scope).
 */
export const KEY_ID_HEADER = 'x-ipp-key-id';
export const VISIBILITY_HEADER = 'x-ipp-visibility';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'post', 'put', 'patch', 'delete']);

/**
 * The scope an operation needs when the gateway asks for keys, from its method and path (a path template,
 * a concrete path or the gateway's route name: only the first segments count). None for health, files and
 * the documentation, which never need a key.
 */
export function requiredScope(method: string, path: string): Scope | undefined {
  if (path.startsWith('/api/keys')) return 'admin';
  const write = WRITES.has(method);
  if (path.startsWith('/api/products')) return write ? 'products:write' : 'products:read';
  if (path.startsWith('/api/upload') || path.startsWith('/api/status')) return write ? 'uploads:write' : 'uploads:read';
  return undefined;
}
