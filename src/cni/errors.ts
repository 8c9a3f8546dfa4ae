// CNI error codes (spec 1.1, "Error codes") and the error object plugins print on stdout.
import { codeInfo, EngineError } from "../errors";

export const CNI_CODE = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENV: 4,
  IO_FAILURE: 5,
  DECODING_FAILURE: 6,
  INVALID_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  NOT_AVAILABLE: 50,
  /** Plugin-specific (100+): CHECK found the attachment different from what ADD made. */
  CHECK_FAILED: 100,
} as const;

export class CniError extends Error {
  constructor(readonly code: number, message: string, readonly details?: string) {
    super(message);
    this.name = "CniError";
  }
}

/** Engine errors carry their CNI code in the shared table (src/errors/codes.ts). */
export function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof EngineError) return new CniError(codeInfo(e.code).cni, e.message, `${e.code}: ${e.hint}`);
  return new CniError(999, e instanceof Error ? e.message : String(e));
}

export function errorObject(e: CniError, cniVersion: string): Record<string, unknown> {
  return { cniVersion, code: e.code, msg: e.message, ...(e.details ? { details: e.details } : {}) };
}
