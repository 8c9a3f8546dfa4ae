// What pontond and the port holder (holder-main.ts) say to each other: one JSON object per line on
// a unix socket in the state directory.
import type { Protocol } from "../model/types";

/** One host port the holder keeps bound. */
export interface HoldEntry {
  protocol: Protocol;
  /** `::` with v6only false is every address of both families (one dual-stack socket). */
  address: string;
  v6only: boolean;
  /** 0: let the kernel pick a free port from the ephemeral range. */
  port: number;
  /** Where a connection that reaches the socket is relayed (no kernel DNAT for it: IPv6 to an IPv4-only workload, ::1). */
  target?: { ip: string; port: number };
}

export interface HoldResult {
  /** The bound port (the picked one for port 0); 0 when the bind failed. */
  port: number;
  /** The bind's errno name (EADDRINUSE, EADDRNOTAVAIL…) and message. */
  error?: { errno: string; message: string };
}

export type HolderRequest =
  /** Add these (already held ones only change target); results in the same order. */
  | { id: number; op: "hold"; entries: HoldEntry[] }
  /** Keep exactly these, closing every other socket. */
  | { id: number; op: "sync"; entries: HoldEntry[] }
  | { id: number; op: "status" };

export type HolderReply =
  | { id: number; results: HoldResult[] }
  | { id: number; status: HolderStatus }
  | { id: number; error: string };

export interface HolderStatus {
  pid: number;
  held: number;
  /** Connections relayed since the holder started, and open now. */
  relayed: number;
  open: number;
}

/** The identity of a held socket: entries with port 0 get theirs once bound. */
export function holdKey(e: { protocol: string; address: string; v6only: boolean; port: number }): string {
  return `${e.protocol} ${e.address}${e.v6only ? " v6only" : ""} ${e.port}`;
}
