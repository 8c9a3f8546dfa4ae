export { EngineError, asEngineError } from "./engine-error";
export { ERROR_CODES, codeInfo, type ErrorCode, type CodeInfo } from "./codes";
