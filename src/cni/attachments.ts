// ADD, DEL, CHECK, STATUS and GC as Ponton use cases: a CNI attachment is a workload in
// `--netns` mode (the engine makes only the veth into the runtime's namespace and, on removal,
// deletes only that veth), keyed by (config name, CNI_CONTAINERID, CNI_IFNAME).
import { existsSync } from "node:fs";
import type { Engine } from "../engine";
import { searchDomains } from "../engine/dns/dns-records";
import { EngineError } from "../errors";
import type { Network, Workload } from "../model/types";
import { parseCidr } from "../model/ip";
import type { CniConfig, CniDns } from "./config";
import type { CniEnv } from "./env";
import { CNI_CODE, CniError } from "./errors";
import { workloadName } from "./naming";
import { buildResult, type CniResult } from "./result";

export class CniAttachments {
  constructor(private readonly engine: Engine) {}

  private find(network: string, containerId: string, ifname: string): Workload | undefined {
    return this.engine.ctx.store.workloads().find((w) => w.cni?.network === network && w.cni.containerId === containerId && w.cni.ifname === ifname);
  }

  async add(env: CniEnv, conf: CniConfig): Promise<CniResult> {
    if (!existsSync(env.netns)) throw new CniError(CNI_CODE.UNKNOWN_CONTAINER, `network namespace ${env.netns} does not exist`);
    const existing = this.find(conf.name, env.containerId, env.ifname);
    if (existing?.netns === env.netns && existing.state === "running") return this.result(existing, env, conf);
    // A record for another sandbox of this container is stale (the runtime lost its DEL): replace it.
    if (existing) await this.engine.remove(existing.name, { missingOk: true, graceMs: 0 });
    const net = this.engine.ctx.store.network(conf.network);
    if (!net) throw new CniError(CNI_CODE.INVALID_CONFIG, `network ${conf.network} not found`, "create it with 'ponton network create NAME' before using it from CNI");
    if (net.driver !== "bridge") throw new CniError(CNI_CODE.INVALID_CONFIG, `network ${conf.network} is not a bridge network`);
    const store = this.engine.ctx.store;
    const name = await this.create(env, conf, (n) => store.workload(n) !== undefined).catch((e: unknown) => {
      // Another ADD took the same name between our look and the engine's turn: use the ID-qualified one.
      if (e instanceof EngineError && e.code === "NAME_IN_USE") return this.create(env, conf, (n) => n === workloadName(env, () => false) || store.workload(n) !== undefined);
      throw e;
    });
    return this.result(store.workload(name)!, env, conf);
  }

  private async create(env: CniEnv, conf: CniConfig, taken: (name: string) => boolean): Promise<string> {
    const name = workloadName(env, taken);
    const ip = conf.ips.find((a) => !a.includes(":"));
    const ip6 = conf.ips.find((a) => a.includes(":"));
    const labels: Record<string, string> = {};
    const label = (k: string, v: string | undefined) => {
      if (v && /^[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/.test(v)) labels[k] = v;
    };
    label("io.kubernetes.pod.name", env.args.K8S_POD_NAME);
    label("io.kubernetes.pod.namespace", env.args.K8S_POD_NAMESPACE);
    await this.engine.run({
      name,
      networks: [{ network: conf.network, ifname: env.ifname, ...(ip ? { ip } : {}), ...(ip6 ? { ip6 } : {}), ...(conf.mac ? { mac: conf.mac } : {}) }],
      netns: env.netns,
      ports: conf.ports,
      labels,
      cni: { network: conf.name, containerId: env.containerId, ifname: env.ifname },
    });
    return name;
  }

  private result(w: Workload, env: CniEnv, conf: CniConfig): CniResult {
    const store = this.engine.ctx.store;
    const a = store.attachmentsOf(w.id)[0];
    const n = a && store.networks().find((x) => x.id === a.networkId);
    if (!a || !n) throw new CniError(CNI_CODE.TRY_AGAIN_LATER, `attachment of ${w.name} vanished while it was being made`);
    const prefix = (subnet?: string) => (subnet ? parseCidr(subnet).prefix : 0);
    return buildResult(
      conf.cniVersion,
      {
        bridge: n.bridge,
        hostIfname: a.hostIfname,
        ifname: a.ifname,
        mac: a.mac,
        sandbox: env.netns,
        ...(a.ip4 ? { ip4: { address: `${a.ip4}/${prefix(n.subnet4)}`, ...(n.gateway4 ? { gateway: n.gateway4 } : {}) } } : {}),
        ...(a.ip6 ? { ip6: { address: `${a.ip6}/${prefix(n.subnet6)}`, ...(n.gateway6 ? { gateway: n.gateway6 } : {}) } } : {}),
        ...(!n.internal && a.ip4 && n.gateway4 ? { defaultVia4: n.gateway4 } : {}),
        ...(!n.internal && a.ip6 && n.gateway6 ? { defaultVia6: n.gateway6 } : {}),
      },
      conf.dns ?? this.dnsFor(n),
      conf.prevResult,
    );
  }

  /** Runtimes write the container's resolv.conf from the result: point it at our DNS on the gateway. */
  private dnsFor(n: Network): CniDns | undefined {
    const { dnsPort, dnsDomain, ndots } = this.engine.ctx.config;
    const server = n.gateway4 ?? n.gateway6;
    if (!this.engine.dns || dnsPort !== 53 || !server) return undefined;
    return { nameservers: [server], search: searchDomains(dnsDomain), options: [`ndots:${ndots}`] };
  }

  /** Idempotent: nothing recorded (never added, failed ADD, second DEL) is success; a vanished netns too. */
  async del(env: CniEnv, conf: CniConfig): Promise<void> {
    const w = this.find(conf.name, env.containerId, env.ifname);
    if (w) await this.engine.remove(w.name, { missingOk: true, graceMs: 0 });
  }

  /** The attachment as ADD made it: record, namespace, host veth on its bridge, interface with its addresses. */
  async check(env: CniEnv, conf: CniConfig): Promise<void> {
    const w = this.find(conf.name, env.containerId, env.ifname);
    if (!w) throw new CniError(CNI_CODE.UNKNOWN_CONTAINER, `no attachment for container ${env.containerId} interface ${env.ifname} on ${conf.name}`);
    if (!existsSync(env.netns)) throw new CniError(CNI_CODE.UNKNOWN_CONTAINER, `network namespace ${env.netns} does not exist`);
    const { store, kernel, exec } = this.engine.ctx;
    const a = store.attachmentsOf(w.id)[0]!;
    const n = store.networks().find((x) => x.id === a.networkId)!;
    let addrs: string[];
    try {
      const { stdout } = await exec.run("nsenter", [`--net=${env.netns}`, "ip", "-json", "addr", "show", "dev", env.ifname]);
      addrs = (JSON.parse(stdout || "[]") as { addr_info?: { local: string }[] }[]).flatMap((l) => (l.addr_info ?? []).map((x) => x.local));
    } catch {
      throw new CniError(CNI_CODE.CHECK_FAILED, `interface ${env.ifname} is missing in ${env.netns}`);
    }
    for (const ip of [a.ip4, a.ip6]) {
      if (ip && !addrs.includes(ip)) throw new CniError(CNI_CODE.CHECK_FAILED, `interface ${env.ifname} in ${env.netns} lost its address ${ip}`);
    }
    const hostLink = (await kernel.links()).find((l) => l.name === a.hostIfname);
    if (!hostLink || hostLink.master !== n.bridge) throw new CniError(CNI_CODE.CHECK_FAILED, `host interface ${a.hostIfname} is missing or not on bridge ${n.bridge}`);
  }

  /** Ready to serve ADD: the daemon answers and the network exists. */
  async status(conf: CniConfig): Promise<void> {
    const n = this.engine.ctx.store.network(conf.network);
    if (!n || n.driver !== "bridge") throw new CniError(CNI_CODE.NOT_AVAILABLE, `plugin not available: network ${conf.network} does not exist`, "create it with 'ponton network create NAME'");
  }

  /** Removes this config's attachments that the runtime no longer lists; keeps going past failures. */
  async gc(conf: CniConfig): Promise<void> {
    const valid = new Set((conf.validAttachments ?? []).map((v) => `${v.containerID}/${v.ifname}`));
    const stale = this.engine.ctx.store.workloads().filter((w) => w.cni?.network === conf.name && !valid.has(`${w.cni.containerId}/${w.cni.ifname}`));
    const errors: string[] = [];
    for (const w of stale) await this.engine.remove(w.name, { missingOk: true, graceMs: 0 }).catch((e: Error) => errors.push(`${w.name}: ${e.message}`));
    if (errors.length) throw new CniError(CNI_CODE.TRY_AGAIN_LATER, `GC could not remove every stale attachment: ${errors.join("; ")}`);
  }
}
