// Small helpers shared by the API server: JSON bodies, JSON replies, errors with codes.
import type { IncomingMessage, ServerResponse } from "node:http";
import { asEngineError, codeInfo, EngineError } from "../errors";
import { checkDepth, jsonTextDepth } from "../model/nesting";

/** Bounds what one request can make the daemon hold and walk (docs/api.md, "Limits"). */
export const MAX_BODY = 4 * 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const tooLarge = () => new EngineError("PAYLOAD_TOO_LARGE", `request body is larger than ${MAX_BODY} bytes`);
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw tooLarge();
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  const text = Buffer.concat(chunks).toString();
  checkDepth("request body", jsonTextDepth(text));
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new EngineError("INVALID_ARGUMENT", `request body is not a JSON object: ${(e as Error).message}`);
  }
}

/** A path segment or query value as text; malformed percent-encoding is bad input. */
export function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new EngineError("INVALID_ARGUMENT", `malformed percent-encoding in '${s}'`, { hint: "encode names with encodeURIComponent" });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = asEngineError(err);
  sendJson(res, codeInfo(e.code).http, { error: e.toJSON() });
}
