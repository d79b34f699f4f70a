import { PROBLEM_CONTENT_TYPE } from '@ipp/contracts';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './http-app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createPool } from './postgres.ts';
import { freePort } from './testing/index.ts';

describe('a service app', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });

  it('answers 503 problem+json with Retry-After when the database cannot be reached, 500 for any other fault', async () => {
    const pool = createPool({ databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`, max: 1 });
    const app = createHttpApp({ logger, metrics: createMetrics('test_app') });
    app.get('/rows', async (c) => c.json((await pool.query('SELECT 1')).rows));
    app.get('/bug', () => {
      throw new TypeError('undefined is not a function');
    });
    try {
      const outage = await app.request('/rows');
      expect(outage.status).toBe(503);
      expect(outage.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
      expect(outage.headers.get('retry-after')).toBe('5');
      expect(await outage.json()).toMatchObject({ status: 503, detail: expect.stringContaining('database') });
      const bug = await app.request('/bug');
      expect(bug.status).toBe(500);
    } finally {
      await pool.end();
    }
  });
});
