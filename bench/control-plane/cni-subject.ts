// CNI reference chain bridge(+host-local) -> portmap, chained the way libcni does it:
// each plugin gets its own object + name + cniVersion, runtimeConfig for the capabilities it
// declares, and the previous plugin's result as prevResult. DEL runs in reverse order with the
// cached chain result as prevResult (libcni >= 0.4.0 behaviour).
import * as fs from "node:fs";
import { createHostNs, createNamespaces, inNs } from "../lib/netns";
import { run } from "../lib/proc";
import { CONTAINER_PORT, Endpoint, OpResult, Subject, Undos, hostPort } from "./subject";

const CNI_PATH = "/usr/lib/cni";
const SUBNET = "10.231.0.0/16";
const GATEWAY = "10.231.0.1";

type Json = Record<string, unknown>;

/** Same shape as /work/shared/anchors/examples/cni-anc.conflist; only names and dataDir differ. */
function conflist(bridge: string, dataDir: string): { cniVersion: string; name: string; plugins: Json[] } {
  return {
    cniVersion: "1.0.0",
    name: "pbench-cni",
    plugins: [
      {
        type: "bridge", bridge, isGateway: true, ipMasq: true, hairpinMode: true,
        ipam: { type: "host-local", ranges: [[{ subnet: SUBNET, gateway: GATEWAY }]], routes: [{ dst: "0.0.0.0/0" }], dataDir },
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** libcni's buildOneConfig, with key order as in cni-stdin-examples.txt. */
export function pluginStdin(netName: string, cniVersion: string, plugin: Json, runtime: Json, prevResult?: unknown): string {
  const { capabilities, ...rest } = plugin as Json & { capabilities?: Record<string, boolean> };
  const conf: Json = { ...rest, name: netName, cniVersion };
  const rc: Json = {};
  for (const [cap, on] of Object.entries(capabilities ?? {})) if (on && runtime[cap] !== undefined) rc[cap] = runtime[cap];
  if (Object.keys(rc).length) conf.runtimeConfig = rc;
  if (prevResult !== undefined) conf.prevResult = prevResult;
  return JSON.stringify(conf);
}

export class CniSubject implements Subject {
  readonly id = "cni";
  readonly label = "CNI bridge(ipMasq)+portmap";
  readonly hostNs: string;
  readonly notes = ["ADD = bridge ADD + portmap ADD (2 processes), DEL = portmap DEL + bridge DEL; netns creation not timed",
    "each plugin is started via `ip netns exec HOST` (see wrapper cost above)"];
  private readonly list;
  private readonly results = new Map<number, unknown>();
  private readonly undos = new Undos();

  constructor(private readonly prefix: string, private readonly tmp: string) {
    this.hostNs = `${prefix}-cni-host`;
    this.list = conflist(`${prefix}-cbr`, `${tmp}/cni-ipam`);
  }

  private ns(i: number): string {
    return `${this.prefix}-cni-c${i}`;
  }

  async setup(count: number): Promise<void> {
    fs.mkdirSync(`${this.tmp}/cni-ipam`, { recursive: true });
    this.undos.push(await createHostNs(this.hostNs));
    this.undos.push(await createNamespaces(Array.from({ length: count + 1 }, (_, i) => this.ns(i))));
  }

  private async call(cmd: "ADD" | "DEL", i: number, plugin: Json, prev: unknown): Promise<{ ms: number; out: unknown }> {
    const runtime = { portMappings: [{ hostPort: hostPort(i), containerPort: CONTAINER_PORT, protocol: "tcp" }] };
    const env = {
      ...process.env,
      CNI_COMMAND: cmd, CNI_CONTAINERID: this.ns(i), CNI_NETNS: `/run/netns/${this.ns(i)}`, CNI_IFNAME: "eth0", CNI_PATH,
    };
    const type = String(plugin.type);
    const r = await run(inNs(this.hostNs, [`${CNI_PATH}/${type}`]), {
      env, input: pluginStdin(this.list.name, this.list.cniVersion, plugin, runtime, prev),
    });
    if (r.code !== 0) throw new Error(`${type} ${cmd} c${i}: exit ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
    return { ms: r.ms, out: cmd === "ADD" ? JSON.parse(r.stdout) : undefined };
  }

  async add(i: number): Promise<OpResult> {
    const parts: Record<string, number> = {};
    let prev: unknown;
    for (const plugin of this.list.plugins) {
      const { ms, out } = await this.call("ADD", i, plugin, prev);
      parts[String(plugin.type)] = ms;
      prev = out;
    }
    this.results.set(i, prev);
    return { ms: sum(parts), parts };
  }

  async del(i: number): Promise<OpResult> {
    const parts: Record<string, number> = {};
    for (const plugin of [...this.list.plugins].reverse()) {
      parts[String(plugin.type)] = (await this.call("DEL", i, plugin, this.results.get(i))).ms;
    }
    this.results.delete(i);
    return { ms: sum(parts), parts };
  }

  async endpoint(i: number): Promise<Endpoint> {
    return { exec: inNs(this.ns(i), []) };
  }

  async teardown(): Promise<void> {
    // Deleting the host ns drops the bridge and every iptables-nft rule the plugins made.
    await this.undos.runAll();
  }
}

export function sum(parts: Record<string, number>): number {
  return Object.values(parts).reduce((a, b) => a + b, 0);
}
