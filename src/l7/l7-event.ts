// One HTTP request through the L7 proxy, as pontond turns it into a flow record (flows/l7-record.ts).
import type { RuleRef } from "../policy";

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
  /** ingress: the proxy guards the destination's port; egress: the client's requests. */
  direction: "ingress" | "egress";
  /** The rule that admitted it. */
  rule?: RuleRef;
}
