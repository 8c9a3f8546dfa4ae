// Pure: who may reach the web UI. Loopback needs nothing (but a Host header naming this machine,
// against DNS rebinding); any other address needs a token, checked on every request.
import { timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { EngineError } from "../../errors";

export interface UiListen {
  host: string;
  port: number;
  /** Required unless `host` is a loopback address. */
  token?: string;
}

export const UI_COOKIE = "ponton_ui";
const MIN_TOKEN = 16;

export function isLoopback(host: string): boolean {
  return host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** `--ui-listen ADDR:PORT` and `--ui-token`: validated before anything listens. */
export function parseUiListen(listen: string, token: string | undefined): UiListen {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const host = m?.[1]!.replace(/^\[|\]$/g, "");
  const port = Number(m?.[2]);
  if (!m || !isIP(host!) || port < 1 || port > 65535) {
    throw new EngineError("INVALID_ARGUMENT", `--ui-listen '${listen}' is not IP:PORT (e.g. 127.0.0.1:12000 or [::1]:12000)`);
  }
  if (token !== undefined && (token.length < MIN_TOKEN || !/^[\x21-\x7e]+$/.test(token))) {
    throw new EngineError("INVALID_ARGUMENT", `--ui-token must be at least ${MIN_TOKEN} printable characters without spaces`);
  }
  if (!isLoopback(host!) && token === undefined) {
    throw new EngineError("UI_TOKEN_REQUIRED", `--ui-listen ${listen} is not a loopback address: the UI would be open to the network without --ui-token`);
  }
  return { host: host!, port, ...(token !== undefined ? { token } : {}) };
}

export interface AccessRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * "ok"; "cookie": the first visit's `?token=` was right, set the cookie and redirect to the URL
 * without it; or an error to send.
 */
export function checkAccess(ui: UiListen, req: AccessRequest): "ok" | "cookie" | EngineError {
  if (ui.token === undefined) {
    const host = String(req.headers.host ?? "");
    const names = [`127.0.0.1:${ui.port}`, `localhost:${ui.port}`, `[::1]:${ui.port}`, `${ui.host.includes(":") ? `[${ui.host}]` : ui.host}:${ui.port}`];
    return names.includes(host) ? "ok" : new EngineError("UNAUTHORIZED", `Host '${host}' is not this machine's loopback address`, { hint: `open http://127.0.0.1:${ui.port}/` });
  }
  const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
  if (bearer !== undefined && same(bearer, ui.token)) return "ok";
  const cookie = cookieValue(String(req.headers.cookie ?? ""), UI_COOKIE);
  if (cookie !== undefined && same(cookie, ui.token)) return "ok";
  const query = req.url.searchParams.get("token");
  if (req.method === "GET" && query !== null && same(query, ui.token)) return "cookie";
  return new EngineError("UNAUTHORIZED", "the UI needs its token");
}

function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Sent with every answer: no inline script, nothing from another origin, not framable. */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};
