/**
 * The one base class of tailship's thrown errors. Callers branch on `code`, never on
 * the message. Expected failures (a 503, a timeout) are values, not errors.
 */
export class TailshipError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'TailshipError';
  }
}
