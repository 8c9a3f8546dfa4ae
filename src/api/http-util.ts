// Small helpers shared by the API server: JSON bodies, JSON replies, errors with codes.
import type { IncomingMessage, ServerResponse } from "node:http";
import { asEngineError, codeInfo, EngineError } from "../errors";

const MAX_BODY = 4 * 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new EngineError("INVALID_ARGUMENT", "request body too large");
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString()) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new EngineError("INVALID_ARGUMENT", `request body is not a JSON object: ${(e as Error).message}`);
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
