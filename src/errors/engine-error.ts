import { codeInfo, type ErrorCode } from "./codes";

/** An error meant for a user: a stable code, a message naming the operation and object, a hint. */
export class EngineError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; details?: unknown } = {}) {
    super(message);
    this.name = "EngineError";
    this.code = code;
    this.hint = opts.hint ?? codeInfo(code).hint;
    this.details = opts.details;
  }

  /** Prefix the message with the operation that failed ("attach web to net0: …"). */
  within(operation: string): EngineError {
    return new EngineError(this.code, `${operation}: ${this.message}`, { hint: this.hint, details: this.details });
  }

  toJSON(): { code: string; message: string; hint: string; details?: unknown } {
    return { code: this.code, message: this.message, hint: this.hint, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}

/** Anything thrown becomes an EngineError; unknown errors are INTERNAL. */
export function asEngineError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EngineError("INTERNAL", message);
}
