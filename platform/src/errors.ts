import {
  type ErrorCode,
  errorStatus,
  errorTitle,
  type FieldError,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problemType,
} from '@ipp/contracts';
import type { z } from 'zod';

/** A failure with a code from the contract's closed set; the only error whose detail reaches a client. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.code = code;
    this.errors = options.errors;
    this.headers = options.headers;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export function problemBody(code: ErrorCode, detail: string, requestId: string, errors?: FieldError[]): Problem {
  return {
    type: problemType(code),
    title: errorTitle[code],
    status: errorStatus[code],
    detail,
    request_id: requestId,
    ...(errors?.length ? { errors } : {}),
  };
}

/** A plain Response carrying a problem; usable outside Hono (the gateway's proxy path). */
export function problemResponse(
  code: ErrorCode,
  detail: string,
  requestId: string,
  options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(problemBody(code, detail, requestId, options.errors)), {
    status: errorStatus[code],
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...options.headers },
  });
}

/** Every zod issue as `{path, message}`, the path dotted (`items.0.url`) and prefixed by where it came from. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return { path: [prefix, path].filter(Boolean).join('.') || (prefix ?? ''), message: issue.message };
  });
}

export function validationError(error: z.ZodError, prefix?: string): AppError {
  const errors = fieldErrors(error, prefix);
  const detail =
    errors.length === 1 ? `${errors[0]?.path || 'body'}: ${errors[0]?.message}` : `${errors.length} fields are invalid`;
  return new AppError('validation_failed', detail, { errors });
}
