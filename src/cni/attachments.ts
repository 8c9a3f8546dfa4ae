// ADD, DEL, CHECK, STATUS and GC as Ponton use cases: a CNI attachment is a workload in
// `--netns` mode (the engine makes only the veth into the runtime's namespace and, on removal,
// deletes only that veth), keyed by (config name, CNI_CONTAINERID, CNI_IFNAME).
import { existsSync, statSync } from "node:fs";
import type { Engine } from "../engine";
import { searchDomains } from "../engine/dns/dns-records";
import { EngineError } from "../errors";
import type { Network, Workload } from "../model/types";
import { parseCidr } from "../model/ip";
import { checkProblems } from "./check";
import type { CniConfig, CniDns } from "./config";
import { cniDriver, ensureNetwork } from "./described-network";
import type { CniEnv } from "./env";
import { CNI_CODE, CniError } from "./errors";
import { workloadName } from "./naming";
import { ipamAddresses, runIpam } from "./ipam";
import { buildResult, type CniResult } from "./result";
import { sharesNetnsWithEarlier } from "../engine/workloads/endpoints";

/** Whether `netns` is the daemon's own network namespace (an ADD there would configure the host). */
function isOwnNetns(netns: string): boolean {
  try {
    const a = statSync(netns);
    const b = statSync("/proc/self/ns/net");
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

export class CniAttachments {
  constructor(private readonly engine: Engine) {}

  private find(network: string, containerId: string, ifname: string): Workload | undefined {
    return this.engine.ctx.store.workloads().find((w) => w.cni?.network === network && w.cni.containerId === containerId && w.cni.ifname === ifname);
  }

  async add(env: CniEnv, conf: CniConfig, raw: string): Promise<CniResult> {
    if (!existsSync(env.netns)) throw new CniError(CNI_CODE.UNKNOWN_CONTAINER, `network namespace ${env.netns} does not exist`);
    if (isOwnNetns(env.netns)) throw new CniError(CNI_CODE.INVALID_ENV, `invalid environment variable CNI_NETNS: ${env.netns} is the host's own network namespace`, "give the container's network namespace");
    const existing = this.find(conf.name, env.containerId, env.ifname);
    if (existing?.netns === env.netns && existing.state === "running") return this.result(existing, env, conf);
    // A record for another sandbox of this container is stale (the runtime lost its DEL): replace it.
    if (existing) await this.engine.remove(existing.name, { missingOk: true, graceMs: 0 });
    await ensureNetwork(this.engine, conf);
    const ips = conf.ipam ? ipamAddresses(await runIpam("ADD", conf.ipam, env, raw), conf.ipam.type) : { ip4: conf.ips.find((a) => !a.includes(":")), ip6: conf.ips.find((a) => a.includes(":")) };
    const store = this.engine.ctx.store;
    try {
      const name = await this.create(env, conf, ips, (n) => store.workload(n) !== undefined).catch((e: unknown) => {
        // Another ADD took the same name between our look and the engine's turn: use the ID-qualified one.
        if (e instanceof EngineError && e.code === "NAME_IN_USE") return this.create(env, conf, ips, (n) => n === workloadName(env, () => false) || store.workload(n) !== undefined);
        throw e;
      });
      return this.result(store.workload(name)!, env, conf);
    } catch (e) {
      // The spec's undo: what the IPAM plugin handed out goes back.
      if (conf.ipam) await runIpam("DEL", conf.ipam, env, raw).catch(() => undefined);
      throw e;
    }
  }

  private async create(env: CniEnv, conf: CniConfig, addrs: { ip4?: string | undefined; ip6?: string | undefined }, taken: (name: string) => boolean): Promise<string> {
    const name = workloadName(env, taken);
    const { ip4: ip, ip6 } = addrs;
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
    // A routed network's workload holds host prefixes (/32, /128): its whole subnet is through the gateway.
    const prefix = (subnet?: string) => (n.driver === "routed" ? (subnet?.includes(":") ? 128 : 32) : subnet ? parseCidr(subnet).prefix : 0);
    const defaultRoute = !n.internal && !sharesNetnsWithEarlier(this.engine.ctx, w);
    return buildResult(
      conf.cniVersion,
      {
        ...(n.bridge ? { bridge: n.bridge } : {}),
        hostIfname: a.hostIfname,
        ifname: a.ifname,
        mac: a.mac,
        sandbox: env.netns,
        ...(a.ip4 ? { ip4: { address: `${a.ip4}/${prefix(n.subnet4)}`, ...(n.gateway4 ? { gateway: n.gateway4 } : {}) } } : {}),
        ...(a.ip6 ? { ip6: { address: `${a.ip6}/${prefix(n.subnet6)}`, ...(n.gateway6 ? { gateway: n.gateway6 } : {}) } } : {}),
        ...(defaultRoute && a.ip4 && n.gateway4 ? { defaultVia4: n.gateway4 } : {}),
        ...(defaultRoute && a.ip6 && n.gateway6 ? { defaultVia6: n.gateway6 } : {}),
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
  async del(env: CniEnv, conf: CniConfig, raw: string): Promise<void> {
    const w = this.find(conf.name, env.containerId, env.ifname);
    if (w) await this.engine.remove(w.name, { missingOk: true, graceMs: 0 });
    // IPAM DEL is idempotent by the spec: always passed on, so a lost ADD result cannot leak a lease.
    if (conf.ipam) await runIpam("DEL", conf.ipam, env, raw);
  }

  /** The attachment as ADD made it: record, namespace, host veth on its bridge (or routed to), interface with its addresses. */
  async check(env: CniEnv, conf: CniConfig, raw: string): Promise<void> {
    if (!conf.prevResult) throw new CniError(CNI_CODE.INVALID_CONFIG, "CHECK needs prevResult (the result the runtime cached from ADD)");
    const w = this.find(conf.name, env.containerId, env.ifname);
    if (!w) throw new CniError(CNI_CODE.UNKNOWN_CONTAINER, `no attachment for container ${env.containerId} interface ${env.ifname} on ${conf.name}`);
    if (!existsSync(env.netns)) throw new CniError(CNI_CODE.UNKNOWN_CONTAINER, `network namespace ${env.netns} does not exist`);
    const { store, kernel, exec } = this.engine.ctx;
    const a = store.attachmentsOf(w.id)[0]!;
    const n = store.networks().find((x) => x.id === a.networkId)!;
    let link: { address?: string; addr_info?: { local: string }[] } | undefined;
    try {
      const { stdout } = await exec.run("nsenter", [`--net=${env.netns}`, "ip", "-json", "addr", "show", "dev", env.ifname]);
      link = (JSON.parse(stdout || "[]") as (typeof link)[])[0];
    } catch {
      link = undefined;
    }
    if (!link) throw new CniError(CNI_CODE.CHECK_FAILED, `interface ${env.ifname} is missing in ${env.netns}`);
    const recorded = [a.ip4, a.ip6].filter((x): x is string => !!x);
    const seen = { addresses: (link.addr_info ?? []).map((x) => x.local), ...(link.address ? { mac: link.address.toLowerCase() } : {}) };
    for (const ip of recorded) {
      if (!seen.addresses.includes(ip)) throw new CniError(CNI_CODE.CHECK_FAILED, `interface ${env.ifname} in ${env.netns} lost its address ${ip}`);
    }
    const problems = checkProblems(conf.prevResult, { ifname: env.ifname, sandbox: env.netns, mac: a.mac.toLowerCase(), addresses: recorded }, seen);
    if (problems.length) throw new CniError(CNI_CODE.CHECK_FAILED, problems.join("; "));
    if (conf.ipam) await runIpam("CHECK", conf.ipam, env, raw);
    const hostLink = (await kernel.links()).find((l) => l.name === a.hostIfname);
    if (n.driver === "routed") {
      if (!hostLink || hostLink.master) throw new CniError(CNI_CODE.CHECK_FAILED, `host interface ${a.hostIfname} is missing or enslaved to ${hostLink?.master}`);
      const routes = (await exec.run("ip", ["-json", "route", "show", "dev", a.hostIfname])).stdout;
      const dsts = (JSON.parse(routes || "[]") as { dst: string }[]).map((r) => r.dst);
      const lost = [a.ip4].filter((ip): ip is string => !!ip && !dsts.includes(ip));
      if (lost.length) throw new CniError(CNI_CODE.CHECK_FAILED, `host route to ${lost.join(", ")} through ${a.hostIfname} is missing`);
    } else if (!hostLink || hostLink.master !== n.bridge) throw new CniError(CNI_CODE.CHECK_FAILED, `host interface ${a.hostIfname} is missing or not on bridge ${n.bridge}`);
  }

  /** Ready to serve ADD: the daemon answers and the network exists. */
  async status(conf: CniConfig): Promise<void> {
    const n = this.engine.ctx.store.network(conf.network);
    if (!n && Object.keys(conf.describes).length) return; // the first ADD makes it
    if (!cniDriver(n)) throw new CniError(CNI_CODE.NOT_AVAILABLE, `plugin not available: network ${conf.network} does not exist`, "create it with 'ponton network create NAME'");
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
