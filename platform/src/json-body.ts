import type { MiddlewareHandler } from 'hono';
import { AppError } from './errors.ts';

/**
 * Runs before a route's body validation: a body that is not JSON by its content type is a 415, one that
 * does not parse a 400 — both naming `body` — where the validator alone would treat either as empty.
 */
export const requireJsonBody: MiddlewareHandler = async (c, next) => {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new AppError('unsupported_media_type', 'The body must be JSON (Content-Type: application/json)', {
      errors: [{ path: 'body', message: 'Content-Type must be application/json' }],
    });
  }
  try {
    await c.req.json();
  } catch {
    throw new AppError('validation_failed', 'The body is not valid JSON', {
      errors: [{ path: 'body', message: 'malformed JSON' }],
    });
  }
  await next();
};
