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

/** Every zod issue as `{path, message}`, the path dotted (`items.0.url`); an unknown key gets one of its own. */
export function fieldErrors(error: z.ZodError, root: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [path, key].filter(Boolean).join('.'), message: 'unknown field' }));
    }
    return [{ path: path || root, message: issue.message }];
  });
}

/** The 400 problem naming every invalid field; `root` names the value itself (a body that is not an object). */
export function validationError(error: z.ZodError, root = 'body'): AppError {
  const errors = fieldErrors(error, root);
  const detail =
    errors.length === 1 ? `${errors[0]?.path}: ${errors[0]?.message}` : `${errors.length} fields are invalid`;
  return new AppError('validation_failed', detail, { errors });
}
