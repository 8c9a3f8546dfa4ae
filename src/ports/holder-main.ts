// The port holder: one process for every published port of this host. pontond starts it, detached,
// in its own (the host's) network namespace; it outlives pontond, so a restart neither frees a port
// for a host process to take nor cuts a relayed connection. pontond reconnects at start and sends the
// whole set (`sync`). It exits once it holds nothing and no pontond is connected.
import { serveLineRpc } from "../detached/line-rpc-server";
import { holdKey, type HoldEntry, type HoldResult, type HolderReply, type HolderRequest } from "./holder-protocol";
import { holdTcp, holdUdp, type HeldSocket, type RelayCounters } from "./relay";

const held = new Map<string, HeldSocket>();
const counters: RelayCounters = { relayed: 0, open: 0 };
let clients = 0;

async function bind(e: HoldEntry): Promise<HeldSocket> {
  const open = e.protocol === "tcp" ? holdTcp : holdUdp;
  try {
    return await open(e, counters);
  } catch (err) {
    // A host without IPv6: the wildcard of both families is the IPv4 one.
    const code = (err as NodeJS.ErrnoException).code;
    if (e.address === "::" && !e.v6only && (code === "EAFNOSUPPORT" || code === "EADDRNOTAVAIL")) return open({ ...e, address: "0.0.0.0" }, counters);
    throw err;
  }
}

function hold(e: HoldEntry): HoldResult | Promise<HoldResult> {
  const existing = e.port === 0 ? undefined : held.get(holdKey(e));
  if (existing) {
    existing.target = e.target;
    return { port: existing.port };
  }
  return bindNew(e);
}

async function bindNew(e: HoldEntry): Promise<HoldResult> {
  try {
    const s = await bind(e);
    held.set(holdKey({ ...e, port: s.port }), s);
    return { port: s.port };
  } catch (err) {
    const x = err as NodeJS.ErrnoException;
    return { port: 0, error: { errno: x.code ?? "EIO", message: x.message } };
  }
}

async function answer(r: HolderRequest): Promise<HolderReply> {
  if (r.op === "status") return { id: r.id, status: { pid: process.pid, held: held.size, relayed: counters.relayed, open: counters.open } };
  if (r.op === "sync") {
    const keep = new Set(r.entries.map(holdKey));
    for (const [k, s] of held) {
      if (keep.has(k)) continue;
      s.close();
      held.delete(k);
    }
  }
  // Binds are independent: all at once (held ones answer at once).
  return { id: r.id, results: await Promise.all(r.entries.map(hold)) };
}

function exitIfIdle(): void {
  if (held.size === 0 && clients === 0) process.exit(0);
}

function serve(socketPath: string): void {
  // One request at a time, in order: a sync must not interleave with a hold.
  serveLineRpc<HolderRequest, HolderReply>(socketPath, answer, (err) => ({ id: -1, error: String(err) }), {
    opened: () => void clients++,
    closed: () => void clients--,
    settled: exitIfIdle,
  });
}

if (require.main === module) {
  const socketPath = process.argv[2];
  if (!socketPath) {
    console.error("usage: holder-main SOCKET");
    process.exit(2);
  }
  // pontond's terminal or service manager stopping pontond must not stop the ports.
  process.on("SIGHUP", () => undefined);
  serve(socketPath);
}
