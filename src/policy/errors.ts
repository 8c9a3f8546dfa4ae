import { EngineError, type ErrorCode } from "../errors";

// Policy errors travel as EngineErrors so every surface (API, CLI, CNI) handles them the
// same way. POLICY_INVALID is not yet in src/errors/codes.ts (owned by the engine), hence
// the cast; until it is added there, codeInfo() falls back to INTERNAL for its HTTP status.
export type PolicyErrorCode = "POLICY_INVALID" | "POLICY_NOT_IMPLEMENTED" | "INVALID_YAML" | "WORKLOAD_NOT_FOUND" | "INVALID_ARGUMENT";

const HINTS: Record<PolicyErrorCode, string> = {
  POLICY_INVALID: "fix the named field of the NetworkPolicy; nothing was applied",
  POLICY_NOT_IMPLEMENTED: "remove the field named: Ponton does not enforce it yet; nothing was applied",
  INVALID_YAML: "fix the file; nothing was applied",
  WORKLOAD_NOT_FOUND: "give a workload as namespace/name, or an IP address",
  INVALID_ARGUMENT: "check the value and run the command again",
};

export class PolicyError extends EngineError {
  /** The field path the error is about, e.g. "spec.ingress[0].from[1].ipBlock.cidr". */
  readonly path: string;
  /** The message without path or context. */
  readonly reason: string;

  /** context, when given, names the document or object ("document 2 (x/web)"). */
  constructor(code: PolicyErrorCode, path: string, message: string, context?: string) {
    const text = path ? `${path}: ${message}` : message;
    super(code as unknown as ErrorCode, context ? `${context}: ${text}` : text, {
      hint: HINTS[code],
      details: path ? { path } : undefined,
    });
    this.name = "PolicyError";
    this.path = path;
    this.reason = message;
  }

  withContext(context: string): PolicyError {
    return new PolicyError(this.code as unknown as PolicyErrorCode, this.path, this.reason, context);
  }
}

export function invalid(path: string, message: string): PolicyError {
  return new PolicyError("POLICY_INVALID", path, message);
}

export function notImplemented(path: string, what: string): PolicyError {
  return new PolicyError("POLICY_NOT_IMPLEMENTED", path, `${what} is not implemented yet`);
}
