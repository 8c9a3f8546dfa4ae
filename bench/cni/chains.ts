// The CNI chains compared: the reference bridge+host-local (+portmap) and ponton-cni (with and
// without a published port), each run the way libcni runs a conflist, from a throwaway host namespace.
import * as path from "node:path";
import { pluginStdin } from "../control-plane/cni-subject";
import { REPO_ROOT } from "../lib/ponton-daemon";
import { run } from "../lib/proc";

type Json = Record<string, unknown>;

export interface Chain {
  id: string;
  label: string;
  list: { cniVersion: string; name: string; plugins: Json[] };
  /** Needs a pontond in the host namespace. */
  ponton: boolean;
}

const bridge = (prefix: string, ipMasq: boolean, dataDir: string, subnet: string): Json => ({
  type: "bridge", bridge: `${prefix}-br`, isGateway: true, ipMasq, hairpinMode: true,
  ipam: { type: "host-local", ranges: [[{ subnet, gateway: subnet.replace(/0\/16$/, "1") }]], routes: [{ dst: "0.0.0.0/0" }], dataDir },
});
const portmap: Json = { type: "portmap", capabilities: { portMappings: true }, snat: true };

export function chains(tmp: string): Chain[] {
  return [
    { id: "ref", label: "bridge+host-local, no masq", ponton: false, list: { cniVersion: "1.0.0", name: "bref", plugins: [bridge("bref", false, `${tmp}/ipam-ref`, "10.241.0.0/16")] } },
    { id: "ref-pm", label: "bridge(masq)+host-local+portmap", ponton: false, list: { cniVersion: "1.0.0", name: "brefpm", plugins: [bridge("brefpm", true, `${tmp}/ipam-refpm`, "10.242.0.0/16")], ...{} } },
    { id: "ponton", label: "ponton-cni (masq), no port", ponton: true, list: { cniVersion: "1.1.0", name: "bpon", plugins: [{ type: "ponton-cni", network: "benchnet" }] } },
    { id: "ponton-pm", label: "ponton-cni (masq) + 1 port", ponton: true, list: { cniVersion: "1.1.0", name: "bponpm", plugins: [{ type: "ponton-cni", network: "benchnet", capabilities: { portMappings: true } }] } },
  ].map((c) => (c.id === "ref-pm" ? { ...c, list: { ...c.list, plugins: [...c.list.plugins, portmap] } } : c));
}

export interface Sandbox {
  containerId: string;
  netns: string;
  hostPort: number;
}

/** One CNI command through the whole list (DEL in reverse, with the cached result); returns ms. */
export async function runChain(chain: Chain, cmd: "ADD" | "DEL", hostNs: string, sb: Sandbox, socket: string, cached: Map<string, unknown>): Promise<number> {
  const plugins = cmd === "ADD" ? chain.list.plugins : [...chain.list.plugins].reverse();
  const runtime = { portMappings: [{ hostPort: sb.hostPort, containerPort: 80, protocol: "tcp" }] };
  let prev: unknown = cmd === "DEL" ? cached.get(sb.containerId) : undefined;
  let total = 0;
  for (const p of plugins) {
    const type = String(p.type);
    const bin = type === "ponton-cni" ? path.join(REPO_ROOT, "bin", "ponton-cni") : `/usr/lib/cni/${type}`;
    const env = { PATH: process.env.PATH, CNI_COMMAND: cmd, CNI_CONTAINERID: sb.containerId, CNI_NETNS: sb.netns, CNI_IFNAME: "eth0", CNI_PATH: `${path.join(REPO_ROOT, "bin")}:/usr/lib/cni`, PONTON_SOCKET: socket };
    const r = await run(["nsenter", `--net=/run/netns/${hostNs}`, bin], { env, input: pluginStdin(chain.list.name, chain.list.cniVersion, p, runtime, prev) });
    if (r.code !== 0) throw new Error(`${chain.id} ${type} ${cmd} ${sb.containerId}: exit ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
    total += r.ms;
    if (cmd === "ADD") prev = JSON.parse(r.stdout);
  }
  if (cmd === "ADD") cached.set(sb.containerId, prev);
  else cached.delete(sb.containerId);
  return total;
}
