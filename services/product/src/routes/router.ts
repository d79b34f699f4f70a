import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '@ipp/platform';
import type { EntityManager } from '@mikro-orm/postgresql';

/** What an endpoint file mounts on: the declared routes, and a fresh entity manager per request. */
export type ProductRouter = { api: OpenAPIHono<AppEnv>; em: () => EntityManager };
