import type { AppEnv } from '@ipp/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Hono } from 'hono';

/** What an endpoint file mounts on: the app, and a fresh entity manager per request. */
export type ProductRouter = { app: Hono<AppEnv>; em: () => EntityManager };
