// The node's VXLAN device and its entries, as Flannel's vxlan backend makes them: no learning,
// no multicast; every remote node is a static FDB entry, a permanent neighbour and an onlink route.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { EngineError } from "../../errors";
import type { Tunnel } from "./tunnels";
import type { OverlayBatches } from "./tunnel-changes";

const run = promisify(execFile);

export const VXLAN_DEV = "pvx0";
export const VXLAN_VNI = 1;
/** Linux's (and Flannel's) VXLAN port, rather than IANA's 4789. */
export const VXLAN_PORT = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;

async function cmd(what: string, prog: string, args: string[]): Promise<string> {
  try {
    return (await run(prog, args)).stdout;
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim();
    throw new EngineError("KERNEL_ERROR", `${what}: ${prog} ${args.join(" ")}: ${stderr}`);
  }
}

const json = async <T>(what: string, prog: string, args: string[]): Promise<T[]> => JSON.parse((await cmd(what, prog, ["-j", ...args])) || "[]") as T[];

export interface Underlay {
  ifname: string;
  mtu: number;
}

/** The interface holding `nodeIp` (read only: checked before anything is made). */
export async function underlayOf(nodeIp: string): Promise<Underlay> {
  const links = await json<{ ifname: string; mtu: number; addr_info?: { local: string }[] }>("find the underlay", "ip", ["addr", "show"]);
  const underlay = links.find((l) => l.addr_info?.some((a) => a.local === nodeIp));
  if (!underlay) throw new EngineError("INVALID_ARGUMENT", `--node-ip ${nodeIp} is not an address of this host`);
  return { ifname: underlay.ifname, mtu: underlay.mtu };
}

/** The underlay's link-local IPv6 address (undefined when IPv6 is off there): native routing's IPv6 next hop. */
export async function linkLocalOf(ifname: string): Promise<string | undefined> {
  const [link] = await json<{ addr_info?: { local: string; scope: string }[] }>("read the underlay's link-local address", "ip", ["-6", "addr", "show", "dev", ifname, "scope", "link"]);
  return link?.addr_info?.find((a) => a.scope === "link")?.local;
}

/** Create (or keep) the device on the underlay interface; returns its MAC. */
export async function ensureVxlan(nodeIp: string, underlay: Underlay): Promise<string> {
  const exists = (await json<{ ifname: string }>("list links", "ip", ["link", "show"])).some((l) => l.ifname === VXLAN_DEV);
  if (!exists) {
    await cmd("create the overlay device", "ip", ["link", "add", VXLAN_DEV, "type", "vxlan", "id", String(VXLAN_VNI), "local", nodeIp, "dev", underlay.ifname, "dstport", String(VXLAN_PORT), "nolearning"]);
  }
  await cmd("bring the overlay device up", "ip", ["link", "set", VXLAN_DEV, "mtu", String(underlay.mtu - VXLAN_OVERHEAD), "up"]);
  const [link] = await json<{ address: string }>("read the overlay device", "ip", ["link", "show", VXLAN_DEV]);
  return link!.address;
}

/** This node's VTEP address: its block's first address, as /32 or /128 (the block itself is on the bridge). */
export async function ensureVtepAddress(vtep: string): Promise<void> {
  // IPv6 rides the same device (inner IPv6 in IPv4-underlay VXLAN); no duplicate detection: the block is ours.
  const args = vtep.includes(":") ? ["-6", "addr", "replace", `${vtep}/128`, "dev", VXLAN_DEV, "nodad"] : ["addr", "replace", `${vtep}/32`, "dev", VXLAN_DEV];
  await cmd("address the overlay device", "ip", args);
}

/** A removed network's VTEP address off the device (already gone: nothing to do). */
export async function removeVtepAddress(vtep: string): Promise<void> {
  const [link] = await json<{ addr_info?: { local: string }[] }>("read the overlay device", "ip", ["addr", "show", "dev", VXLAN_DEV]);
  if (!link?.addr_info?.some((a) => a.local === vtep)) return;
  await cmd("unaddress the overlay device", "ip", [...(vtep.includes(":") ? ["-6"] : []), "addr", "del", `${vtep}/${vtep.includes(":") ? 128 : 32}`, "dev", VXLAN_DEV]);
}

/** Make the device's entries exactly `tunnels`: replace what is wanted, delete what is not. */
export async function applyTunnels(tunnels: Tunnel[]): Promise<void> {
  for (const t of tunnels) {
    const what = `tunnel ${t.block} to node ${t.node}`;
    await cmd(what, "bridge", ["fdb", "replace", t.mac, "dev", VXLAN_DEV, "dst", t.address, "self", "permanent"]);
    await cmd(what, "ip", ["neigh", "replace", t.vtep, "lladdr", t.mac, "dev", VXLAN_DEV, "nud", "permanent"]);
    await cmd(what, "ip", ["route", "replace", t.block, "via", t.vtep, "dev", VXLAN_DEV, "onlink"]);
  }
  const blocks = new Set(tunnels.map((t) => t.block));
  const vteps = new Set(tunnels.map((t) => t.vtep));
  const fdb = new Set(tunnels.map((t) => `${t.mac} ${t.address}`));
  const routes = [...(await json<{ dst: string; gateway?: string }>("list overlay routes", "ip", ["route", "show", "dev", VXLAN_DEV])), ...(await json<{ dst: string; gateway?: string }>("list overlay routes", "ip", ["-6", "route", "show", "dev", VXLAN_DEV]))];
  for (const r of routes) {
    if (r.gateway && !blocks.has(r.dst)) await cmd(`remove the tunnel ${r.dst}`, "ip", ["route", "del", r.dst, "dev", VXLAN_DEV]);
  }
  for (const n of await json<{ dst: string }>("list overlay neighbours", "ip", ["neigh", "show", "dev", VXLAN_DEV])) {
    if (!vteps.has(n.dst)) await cmd(`remove the neighbour ${n.dst}`, "ip", ["neigh", "del", n.dst, "dev", VXLAN_DEV]);
  }
  for (const f of await json<{ mac: string; dst?: string }>("list overlay FDB", "bridge", ["fdb", "show", "dev", VXLAN_DEV])) {
    if (f.dst && !fdb.has(`${f.mac} ${f.dst}`)) await cmd(`remove the FDB entry ${f.mac}`, "bridge", ["fdb", "del", f.mac, "dev", VXLAN_DEV, "dst", f.dst, "self"]);
  }
}

/** One process per program for many lines (`ip -batch -`, `bridge -batch -`). */
function batch(what: string, prog: string, lines: string[], force: boolean): Promise<void> {
  if (lines.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = execFile(prog, [...(force ? ["-force"] : []), "-batch", "-"], (e, _out, stderr) => {
      if (e && !force) reject(new EngineError("KERNEL_ERROR", `${what}: ${prog} -batch: ${String(stderr).trim() || e.message}`));
      else resolve();
    });
    child.stdin!.end(lines.join("\n") + "\n");
  });
}

/** Apply the changes of the overlay (tunnel-changes.ts): removals first (an entry already gone is no error), then the new entries. */
export async function applyTunnelChanges(b: OverlayBatches): Promise<void> {
  await batch("remove overlay FDB entries", "bridge", b.removeBridge, true);
  await batch("remove overlay routes and neighbours", "ip", b.removeIp, true);
  await batch("add overlay FDB entries", "bridge", b.bridge, false);
  await batch("add overlay routes and neighbours", "ip", b.ip, false);
}
