// From the tunnels applied last to the tunnels wanted now (pure): the `ip` and `bridge` batch lines
// that change only what moved. With N nodes a block claimed or a node gone used to re-apply all N
// tunnels (3 processes each, plus 3 listings) on every node; now it is two batches of the changes.
// The whole check (listing what the kernel has) stays for the first sync and after a reconnect.
import type { Tunnel } from "./tunnels";

export interface OverlayBatches {
  /** `bridge -batch -` lines (FDB entries to put). */
  bridge: string[];
  /** `ip -batch -` lines (neighbours and routes to put). */
  ip: string[];
  /** Entries to remove: run with -force, as one already gone is no error. */
  removeBridge: string[];
  removeIp: string[];
}

const fdbOf = (t: Tunnel) => `${t.mac} ${t.address}`;

/** `dev`: the VXLAN device, or with native routing (`native`) the underlay interface and our route protocol. */
export function tunnelChanges(previous: Tunnel[], next: Tunnel[], dev: string, native?: { proto: number }): OverlayBatches {
  const before = new Map(previous.map((t) => [t.block, JSON.stringify(t)]));
  const after = new Set(next.map((t) => t.block));
  const put = next.filter((t) => before.get(t.block) !== JSON.stringify(t));
  const gone = previous.filter((t) => !after.has(t.block));
  const out: OverlayBatches = { bridge: [], ip: [], removeBridge: [], removeIp: [] };
  if (native) {
    for (const t of gone) out.removeIp.push(`route del ${t.block} proto ${native.proto} dev ${dev}`);
    for (const t of put) out.ip.push(`route replace ${t.block} via ${t.via6 ?? t.address} dev ${dev} proto ${native.proto}`);
    return out;
  }
  const fdbs = new Set(next.map(fdbOf));
  const vteps = new Set(next.map((t) => t.vtep));
  const changed = previous.filter((t) => after.has(t.block) && before.get(t.block) !== JSON.stringify(next.find((n) => n.block === t.block)));
  for (const t of [...gone, ...changed]) {
    if (!fdbs.has(fdbOf(t))) out.removeBridge.push(`fdb del ${t.mac} dev ${dev} dst ${t.address} self`);
  }
  for (const t of gone) {
    out.removeIp.push(`route del ${t.block} dev ${dev}`);
    if (!vteps.has(t.vtep)) out.removeIp.push(`neigh del ${t.vtep} dev ${dev}`);
  }
  for (const t of put) {
    out.bridge.push(`fdb replace ${t.mac} dev ${dev} dst ${t.address} self permanent`);
    out.ip.push(`neigh replace ${t.vtep} lladdr ${t.mac} dev ${dev} nud permanent`, `route replace ${t.block} via ${t.vtep} dev ${dev} onlink`);
  }
  return { ...out, removeBridge: [...new Set(out.removeBridge)], bridge: [...new Set(out.bridge)] };
}
