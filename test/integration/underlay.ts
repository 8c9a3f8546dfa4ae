// A test "data centre": an underlay namespace with a bridge (the switch), namespaces plugged into it,
// and an etcd of 1 or 3 members in namespaces of its own. Everything is removed by name and PID.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sh, sleep } from "./harness";

/** TEST-NET-1: documentation addresses, never routed anywhere. */
export const UNDERLAY_PREFIX = "192.0.2";

let counter = 0;

async function must(cmd: string, args: string[]): Promise<void> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr.trim()}`);
}

export interface EtcdMember {
  name: string;
  netns: string;
  ip: string;
  pid: number;
}

/** PEM files (paths) for an etcd that serves TLS and verifies client certificates. */
export interface EtcdTls {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate etcdctl uses for the health check. */
  clientCert: string;
  clientKey: string;
}

export class Underlay {
  readonly prefix: string;
  readonly netns: string;
  readonly dir: string;
  private readonly made: string[] = [];
  private readonly children: ChildProcess[] = [];
  private port = 0;
  members: EtcdMember[] = [];
  /** Set by startEtcd with TLS: etcd serves https and asks clients for a certificate of this CA. */
  tls?: EtcdTls;

  constructor(name = "ul") {
    this.prefix = `pu${process.pid % 100000}${name}${counter++}`;
    this.netns = `${this.prefix}-SW`;
    this.dir = mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-`));
  }

  async setUp(): Promise<this> {
    await must("ip", ["netns", "add", this.netns]);
    this.made.push(this.netns);
    await must("ip", ["-n", this.netns, "link", "set", "lo", "up"]);
    await must("ip", ["-n", this.netns, "link", "add", "br0", "type", "bridge"]);
    await must("ip", ["-n", this.netns, "link", "set", "br0", "up"]);
    return this;
  }

  /** Plug a namespace (ours or another's) into the switch as `ifname` with ip/24; returns the address. */
  async plug(netns: string, ifname: string, ip: string, mtu = 1500): Promise<string> {
    const port = `p${this.port++}`;
    await must("ip", ["-n", this.netns, "link", "add", port, "mtu", String(mtu), "type", "veth", "peer", "name", ifname, "netns", netns]);
    await must("ip", ["-n", this.netns, "link", "set", port, "master", "br0", "up"]);
    await must("ip", ["-n", netns, "link", "set", ifname, "mtu", String(mtu), "up"]);
    await must("ip", ["-n", netns, "addr", "add", `${ip}/24`, "dev", ifname]);
    return ip;
  }

  /** A namespace of the underlay's own (etcd members live in these). */
  async addNamespace(name: string, ip: string): Promise<string> {
    const ns = `${this.prefix}-${name}`;
    await must("ip", ["netns", "add", ns]);
    this.made.push(ns);
    await must("ip", ["-n", ns, "link", "set", "lo", "up"]);
    await this.plug(ns, "eth0", ip);
    return ns;
  }

  /** A command in one of the underlay's namespaces (nsenter: no private mount namespace). */
  run(netns: string, cmd: string, args: string[]) {
    return sh("nsenter", [`--net=/run/netns/${netns}`, cmd, ...args]);
  }

  get endpoints(): string[] {
    return this.members.map((m) => `${this.tls ? "https" : "http"}://${m.ip}:2379`);
  }

  /** Start `size` etcd members (1 or 3) at .2, .3, .4; waits (bounded) until every endpoint is healthy. */
  /** `timers`: etcd's heartbeat and election timeout (its minimum lease TTL is 1.5 election timeouts, rounded up to seconds). */
  async startEtcd(size: 1 | 3 = 1, timeoutMs = 30_000, opts: { tls?: EtcdTls; timers?: { heartbeatMs: number; electionMs: number } } = {}): Promise<EtcdMember[]> {
    const { tls, timers = { heartbeatMs: 100, electionMs: 1000 } } = opts;
    this.tls = tls;
    const client = tls ? ["--cert-file", tls.serverCert, "--key-file", tls.serverKey, "--trusted-ca-file", tls.ca, "--client-cert-auth"] : [];
    const specs = Array.from({ length: size }, (_, i) => ({ name: `etcd${i}`, ip: `${UNDERLAY_PREFIX}.${2 + i}` }));
    const initial = specs.map((s) => `${s.name}=http://${s.ip}:2380`).join(",");
    this.etcdArgs = (m) => ["etcd", "--name", m.name, "--data-dir", path.join(this.dir, m.name), "--listen-client-urls", `${tls ? "https" : "http"}://${m.ip}:2379`, "--advertise-client-urls", `${tls ? "https" : "http"}://${m.ip}:2379`, ...client, "--listen-peer-urls", `http://${m.ip}:2380`, "--initial-advertise-peer-urls", `http://${m.ip}:2380`, "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", this.prefix, "--heartbeat-interval", String(timers.heartbeatMs), "--election-timeout", String(timers.electionMs)];
    for (const s of specs) {
      const netns = await this.addNamespace(s.name, s.ip);
      this.members.push({ ...s, netns, pid: this.spawnMember({ ...s, netns }) });
    }
    return this.waitHealthy(timeoutMs, specs);
  }

  private etcdArgs: (m: { name: string; ip: string }) => string[] = () => [];

  /** nsenter execs etcd: the PID returned is etcd's own. Its data dir is kept, so a restart rejoins. */
  private spawnMember(m: { name: string; ip: string; netns: string }): number {
    const log = openSync(path.join(this.dir, `${m.name}.log`), "a");
    const child = spawn("nsenter", [`--net=/run/netns/${m.netns}`, ...this.etcdArgs(m)], { stdio: ["ignore", log, log] });
    this.children.push(child);
    return child.pid!;
  }

  /** Start again members that were killed (same data): the cluster resumes where it stopped. */
  async restartMembers(members: EtcdMember[], timeoutMs = 30_000): Promise<void> {
    for (const m of members) m.pid = this.spawnMember(m);
    await this.waitHealthy(timeoutMs, members);
  }

  private async waitHealthy(timeoutMs: number, specs: { name: string }[]): Promise<EtcdMember[]> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const r = await this.etcdctl("--dial-timeout", "1s", "--command-timeout", "2s", "endpoint", "health");
      if (r.code === 0) return this.members;
      if (this.children.some((c) => c.exitCode !== null)) break;
      await sleep(200);
    }
    const logs = specs.map((s) => readFileSync(path.join(this.dir, `${s.name}.log`), "utf8").slice(-2000)).join("\n");
    throw new Error(`etcd did not become healthy:\n${logs}`);
  }

  /** etcdctl against the cluster, from the first member's namespace. */
  etcdctl(...args: string[]) {
    const tls = this.tls ? ["--cacert", this.tls.ca, "--cert", this.tls.clientCert, "--key", this.tls.clientKey] : [];
    return sh("nsenter", [`--net=/run/netns/${this.members[0]!.netns}`, "etcdctl", "--endpoints", this.endpoints.join(","), ...tls, ...args], { timeoutMs: 5000 });
  }

  async tearDown(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode !== null || c.signalCode !== null || !c.pid) continue;
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await exited;
    }
    for (const ns of readdirSync("/run/netns").filter((n) => n.startsWith(`${this.prefix}-`))) await sh("ip", ["netns", "del", ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
