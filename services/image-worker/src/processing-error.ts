/** Why an item failed: a short code for clients and whether trying again could help. */
export class ProcessingError extends Error {
  override name = 'ProcessingError';
  readonly code: string;
  readonly permanent: boolean;

  constructor(code: string, message: string, options: { permanent: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.code = code;
    this.permanent = options.permanent;
  }
}

export const permanent = (code: string, message: string, cause?: unknown) =>
  new ProcessingError(code, message, { permanent: true, cause });

export const transient = (code: string, message: string, cause?: unknown) =>
  new ProcessingError(code, message, { permanent: false, cause });
