// What pontond and the L7 proxy (proxy-main.ts) say to each other: one JSON object per line on a
// unix socket in the state directory. pontond sends the listeners; the proxy answers and sends
// its request records as they come (batched), to whichever pontond is connected.
import type { L7Listener, RuleRef } from "../policy";

export type ProxyRequest = { id: number; op: "sync"; listeners: L7Listener[] } | { id: number; op: "status" };

export interface ListenResult {
  listen: number;
  /** The bind's errno name and message when it failed. */
  error?: { errno: string; message: string };
}

export interface ProxyStatus {
  pid: number;
  listeners: number;
  /** Client connections open now. */
  open: number;
  requests: number;
  /** Records made while no pontond was connected (never silently: counted here and in metrics). */
  lostRecords: number;
}

/** One HTTP request through the proxy. */
export interface L7Event {
  /** Unix time of the request's start, ms. */
  t: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  method: string;
  url: string;
  host?: string;
  /** The status the client got (403 when denied; 502/503 when the backend failed). */
  status: number;
  /** From the request's start to the end of the response, ms. */
  latencyMs: number;
  verdict: "FORWARDED" | "DROPPED" | "ERROR";
  /** The rule that admitted it. */
  rule?: RuleRef;
}

export type ProxyReply =
  | { id: number; results: ListenResult[] }
  | { id: number; status: ProxyStatus }
  | { id: number; error: string }
  | { records: L7Event[]; lost: number };
