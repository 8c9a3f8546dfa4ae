// Three pontond nodes on an etcd cluster and a client on one switch (test/integration/underlay.ts);
// each node serves the same LoadBalancer service from a backend of its own that answers with the
// node's name, and answers ARP for it under one CiliumL2AnnouncementPolicy — when it holds the
// address's etcd lease. For the failover test and bench/lb/l2-failover.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { eventually, sh, TestHost } from "../harness";
import { replies } from "../replies";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";

export const LB = `${UNDERLAY_PREFIX}.200`;
const CLIENT = `${UNDERLAY_PREFIX}.50`;
const addr = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;

const MANIFESTS = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: segment}
spec: {blocks: [{cidr: ${UNDERLAY_PREFIX}.200/29}]}
---
apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata: {name: segment}
spec: {interfaces: ["^ul0$"], loadBalancerIPs: true}
`;
const service = (local: boolean) => `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  externalTrafficPolicy: ${local ? "Local" : "Cluster"}
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

export interface L2Status { code: string; interfaces: { name: string; addresses: string[] }[]; holders?: Record<string, string> }

export class L2ClusterWorld {
  readonly ul = new Underlay("l2c");
  readonly nodes = ["n1", "n2", "n3"].map((n) => new TestHost(`l2${n}`));
  clientNs = "";
  macs: Record<string, string> = {};

  /** `etcdTimers`: etcd's heartbeat and election timeout (default 100 / 1000 ms: leases last 2 s at least). */
  async setUp(extraArgs: string[] = [], etcdTimers?: { heartbeatMs: number; electionMs: number }): Promise<void> {
    await this.ul.setUp();
    await this.ul.startEtcd(1, 60_000, etcdTimers ? { timers: etcdTimers } : {});
    this.clientNs = await this.ul.addNamespace("client", CLIENT);
    // One after another: three daemons starting at once on a loaded machine miss the harness's start timeout.
    for (const [i, h] of this.nodes.entries()) {
      h.daemonArgs = ["--cluster", this.ul.endpoints.join(","), "--node-name", `n${i + 1}`, "--node-ip", addr(i), ...extraArgs];
      await h.setUp({ beforeDaemon: () => this.ul.plug(h.hostNs, "ul0", addr(i)).then(() => undefined) });
    }
    for (const [i, h] of this.nodes.entries()) {
      this.macs[`n${i + 1}`] = (JSON.parse((await h.inHost("ip", ["-j", "link", "show", "ul0"])).stdout) as { address: string }[])[0]!.address;
      const file = (name: string, text: string) => {
        const p = path.join(h.dir, name);
        writeFileSync(p, text);
        return p;
      };
      await h.pontonOk("network", "create", "front", "--subnet", "172.50.0.0/24");
      await h.pontonOk("run", "--name", `web-n${i + 1}`, "--network", "front", "--label", "app=web", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", `SYSTEM:echo n${i + 1}`);
      await h.pontonOk("service", "apply", "-f", file("web.yaml", service(false)));
      await h.pontonOk("up", file("l2.yaml", `name: l2\n---\n${MANIFESTS}`));
    }
  }

  /** The service's externalTrafficPolicy on every node. */
  async setLocal(local: boolean): Promise<void> {
    for (const h of this.nodes) {
      const p = path.join(h.dir, "web.yaml");
      writeFileSync(p, service(local));
      await h.pontonOk("service", "apply", "-f", p);
    }
  }

  async tearDown(): Promise<void> {
    for (const h of this.nodes) await h.tearDown();
    await this.ul.tearDown();
  }

  status(h: TestHost): Promise<L2Status> {
    return h.pontonOk("l2-policy", "status", "-o", "json").then((s) => JSON.parse(s) as L2Status);
  }

  inClient = (cmd: string, args: string[], timeoutMs?: number) => sh("ip", ["netns", "exec", this.clientNs, cmd, ...args], { timeoutMs: timeoutMs ?? 10_000 });

  /** The node whose backend answered one connection to the address (ERR when none did). */
  async answeredBy(): Promise<string> {
    return (await replies(this.inClient, LB, 80, 1))[0] ?? "ERR";
  }

  async clientNeighMac(): Promise<string | undefined> {
    const r = await sh("ip", ["-n", this.clientNs, "-j", "neigh", "show", LB]);
    return (JSON.parse(r.stdout || "[]") as { lladdr?: string }[])[0]?.lladdr;
  }

  /** The one node announcing the address (every node agrees on the holder), within the timeout. */
  async holder(alive: TestHost[] = this.nodes, timeoutMs = 30_000): Promise<string> {
    let holder = "";
    const ok = await eventually(async () => {
      const ss = await Promise.all(alive.map((h) => this.status(h)));
      const names = new Set(ss.map((s) => s.holders?.[LB]));
      const announcing = ss.filter((s) => s.code === "ANNOUNCING" && s.interfaces.some((i) => i.addresses.includes(LB)));
      holder = [...names][0] ?? "";
      return names.size === 1 && holder !== "" && announcing.length === 1 && ss[alive.findIndex((h) => this.nodeName(h) === holder)]?.code === "ANNOUNCING";
    }, timeoutMs, 200);
    if (!ok) throw new Error(`no single holder: ${JSON.stringify(await Promise.all(alive.map((h) => this.status(h).catch((e: Error) => e.message))))}`);
    return holder;
  }

  nodeName(h: TestHost): string {
    return `n${this.nodes.indexOf(h) + 1}`;
  }

  node(name: string): TestHost {
    return this.nodes[Number(name.slice(1)) - 1]!;
  }

  /**
   * The holder dies as a machine does: pontond killed (-9) and its link to the switch down. Returns
   * the ms until a client connection to the address succeeds again (answered by another node) and
   * that node's name.
   */
  async killHolder(holder: string, timeoutMs = 60_000): Promise<{ ms: number; by: string }> {
    const h = this.node(holder);
    const t0 = Date.now();
    await Promise.all([h.stopDaemon("SIGKILL"), h.inHost("ip", ["link", "set", "ul0", "down"])]);
    // Short connect timeouts, one attempt after another: the first answer from another node, with its time.
    const script = `end=$(($(date +%s) + ${Math.ceil(timeoutMs / 1000)})); while [ $(date +%s) -lt $end ]; do r=$(socat -T1 -u TCP:${LB}:80,connect-timeout=0.2 - 2>/dev/null); if [ -n "$r" ] && [ "$r" != "${holder}" ]; then echo "$r $(date +%s%3N)"; exit 0; fi; done; exit 1`;
    const r = await this.inClient("sh", ["-c", script], timeoutMs + 5000);
    const [by, at] = r.stdout.trim().split(" ");
    if (r.code !== 0 || !by || !at) throw new Error(`no other node took ${LB} over within ${timeoutMs} ms`);
    return { ms: Number(at) - t0, by };
  }

  /** Bring a killed node back (link up, pontond started again). */
  async revive(name: string): Promise<void> {
    const h = this.node(name);
    await h.inHost("ip", ["link", "set", "ul0", "up"]);
    await h.startDaemon();
  }
}
