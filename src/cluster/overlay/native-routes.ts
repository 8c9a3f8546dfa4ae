// Native routing: each remote pod block is a plain route via its node's underlay address, marked
// with our own route protocol number so the routes we own are told from the host's.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { EngineError } from "../../errors";
import type { Tunnel } from "./tunnels";

const run = promisify(execFile);

/** `proto 112` in `ip route`: an unassigned number (rt_protos), ours alone. */
export const PONTON_ROUTE_PROTO = 112;

async function ip(what: string, args: string[]): Promise<string> {
  try {
    return (await run("ip", args)).stdout;
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim();
    const hint = /invalid gateway|unreachable/i.test(stderr) ? " (native routing needs every node on one L2 segment: use --cluster-routing vxlan across routers)" : "";
    throw new EngineError("KERNEL_ERROR", `${what}: ip ${args.join(" ")}: ${stderr}${hint}`);
  }
}

/** Make our routes on the underlay exactly `tunnels`' blocks via their nodes. */
export async function applyNativeRoutes(tunnels: Tunnel[], underlayIf: string): Promise<void> {
  for (const t of tunnels) {
    await ip(`route ${t.block} to node ${t.node}`, ["route", "replace", t.block, "via", t.via6 ?? t.address, "dev", underlayIf, "proto", String(PONTON_ROUTE_PROTO)]);
  }
  const wanted = new Set(tunnels.map((t) => t.block));
  const list = async (family: string[]) => JSON.parse((await ip("list native routes", [...family, "-j", "route", "show", "proto", String(PONTON_ROUTE_PROTO)])) || "[]") as { dst: string; dev?: string }[];
  const ours = [...(await list([])), ...(await list(["-6"]))];
  for (const r of ours) {
    if (!wanted.has(r.dst)) await ip(`remove the route ${r.dst}`, ["route", "del", r.dst, "proto", String(PONTON_ROUTE_PROTO), ...(r.dev ? ["dev", r.dev] : [])]);
  }
}
