// Three pontond nodes on an etcd cluster, each peering over the underlay switch with one "ToR": FRR's
// zebra + bgpd in an underlay namespace (maximum-paths 8, L4 multipath hashing), a client namespace
// behind it. Every node runs a backend answering with the node's name and the same LoadBalancer
// service with externalTrafficPolicy Local, so the name in each reply is the path the ToR chose. For
// lb-bgp-ecmp.test.ts and bench/lb/ecmp-failover.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eventually, sh, TestHost } from "../harness";
import { FRR } from "./frr-tor";
import { replies } from "../replies";
import { Underlay, UNDERLAY_PREFIX } from "../underlay";

export const ECMP_LB = "100.64.250.0";
export const TOR_IP = `${UNDERLAY_PREFIX}.254`;
const CLIENT_NET = { tor: "203.0.113.1", client: "203.0.113.2" };
export const nodeIp = (i: number) => `${UNDERLAY_PREFIX}.${11 + i}`;
const NODE_ASN = 65001;

const pool = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: ecmp}
spec: {blocks: [{cidr: ${ECMP_LB}/29}]}
`;
/** `holdS`: the session's hold time (keepalive a third); graceful restart off, so a dead node's path goes at hold-time expiry. */
const peering = (holdS?: number) => `apiVersion: cilium.io/v2alpha1
kind: CiliumBGPPeeringPolicy
metadata: {name: tor}
spec:
  virtualRouters:
    - localASN: ${NODE_ASN}
      serviceSelector: {matchLabels: {color: blue}}
      neighbors:
        - peerAddress: ${TOR_IP}/32
          peerASN: 65000
          gracefulRestart: {enabled: false}
${holdS ? `          holdTimeSeconds: ${holdS}\n          keepAliveTimeSeconds: ${Math.max(1, Math.floor(holdS / 3))}\n` : ""}`;
const service = `apiVersion: v1
kind: Service
metadata: {name: web, labels: {color: blue}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

export interface TorPath {
  nexthops: { ip: string }[];
  multipath?: boolean;
  bestpath?: boolean;
}

export class EcmpWorld {
  readonly ul = new Underlay("ecmp");
  readonly nodes = ["n1", "n2", "n3"].map((n) => new TestHost(`ec${n}`));
  torNs = "";
  clientNs = "";
  private torDir = "";
  private readonly frr: ChildProcess[] = [];

  async setUp(holdS?: number): Promise<void> {
    await this.ul.setUp();
    await this.ul.startEtcd(1, 60_000);
    this.torNs = await this.ul.addNamespace("tor", TOR_IP);
    await this.startTor();
    // One after another: three daemons starting at once on a loaded machine miss the harness's start timeout.
    for (const [i, h] of this.nodes.entries()) {
      h.daemonArgs = ["--cluster", this.ul.endpoints.join(","), "--node-name", `n${i + 1}`, "--node-ip", nodeIp(i)];
      await h.setUp({ beforeDaemon: () => this.ul.plug(h.hostNs, "ul0", nodeIp(i)).then(() => undefined) });
    }
    for (const [i, h] of this.nodes.entries()) {
      await this.routeToClient(h);
      await h.pontonOk("network", "create", "front", "--subnet", "172.50.0.0/24");
      await h.pontonOk("run", "--name", `web-n${i + 1}`, "--network", "front", "--label", "app=web", "--", "socat", "TCP-LISTEN:8080,fork,reuseaddr", `SYSTEM:echo n${i + 1}`);
      for (const [kind, name, text] of [["lb-pool", "pool", pool], ["service", "web", service], ["bgp", "bgp", peering(holdS)]] as const) {
        const p = path.join(h.dir, `${name}.yaml`);
        writeFileSync(p, text);
        await h.pontonOk(kind, "apply", "-f", p);
      }
    }
  }

  /** Replies to the client go back through the ToR, as a node's default route would take them. */
  private async routeToClient(h: TestHost): Promise<void> {
    await h.inHost("ip", ["route", "replace", "203.0.113.0/24", "via", TOR_IP]);
  }

  /** A killed node back: link up (the kernel flushed its routes through it when it went down), pontond started again. */
  async revive(h: TestHost): Promise<void> {
    await h.inHost("ip", ["link", "set", "ul0", "up"]);
    await this.routeToClient(h);
    await h.startDaemon();
  }

  private async startTor(): Promise<void> {
    this.torDir = path.join(this.ul.dir, "tor");
    mkdirSync(this.torDir);
    chmodSync(this.ul.dir, 0o755);
    chmodSync(this.torDir, 0o777); // zebra and bgpd run as the frr user
    const neighbors = this.nodes.map((_, i) => ` neighbor ${nodeIp(i)} remote-as ${NODE_ASN}\n`).join("");
    writeFileSync(path.join(this.torDir, "zebra.conf"), "hostname tor\n");
    writeFileSync(path.join(this.torDir, "bgpd.conf"), `hostname tor\nrouter bgp 65000\n bgp router-id ${TOR_IP}\n no bgp ebgp-requires-policy\n${neighbors} address-family ipv4 unicast\n  maximum-paths 8\n exit-address-family\n`);
    const common = ["--vty_socket", this.torDir, "-z", path.join(this.torDir, "zserv.api"), "-P", "0"];
    const run = (daemon: string, conf: string) => {
      const c = spawn("nsenter", [`--net=/run/netns/${this.torNs}`, `${FRR}/${daemon}`, "-f", path.join(this.torDir, conf), "-i", path.join(this.torDir, `${daemon}.pid`), ...common], { stdio: "ignore" });
      this.frr.push(c);
    };
    run("zebra", "zebra.conf");
    if (!(await eventually(async () => existsSync(path.join(this.torDir, "zserv.api"))))) throw new Error("the ToR's zebra did not start");
    run("bgpd", "bgpd.conf");
    const tor = (args: string[]) => this.ul.run(this.torNs, "sysctl", args);
    await tor(["-qw", "net.ipv4.ip_forward=1"]);
    // Hash on ports too: one client's connections spread over the paths (the default hashes addresses only).
    await tor(["-qw", "net.ipv4.fib_multipath_hash_policy=1"]);
    this.clientNs = `${this.ul.prefix}-client`;
    await sh("ip", ["netns", "add", this.clientNs]);
    await sh("ip", ["-n", this.torNs, "link", "add", "tor-cli", "type", "veth", "peer", "name", "eth0", "netns", this.clientNs]);
    await sh("ip", ["-n", this.torNs, "addr", "add", `${CLIENT_NET.tor}/24`, "dev", "tor-cli"]);
    await sh("ip", ["-n", this.clientNs, "addr", "add", `${CLIENT_NET.client}/24`, "dev", "eth0"]);
    for (const [ns, dev] of [[this.torNs, "tor-cli"], [this.clientNs, "eth0"], [this.clientNs, "lo"]] as const) await sh("ip", ["-n", ns, "link", "set", dev, "up"]);
    await sh("ip", ["-n", this.clientNs, "route", "add", "default", "via", CLIENT_NET.tor]);
  }

  /** `show bgp ipv4 PREFIX json`: the paths the ToR holds for it. */
  async torPaths(prefix = `${ECMP_LB}/32`): Promise<TorPath[]> {
    const r = await this.ul.run(this.torNs, "vtysh", ["--vty_socket", this.torDir, "-c", `show bgp ipv4 ${prefix} json`]);
    if (r.code !== 0 || !r.stdout.trim()) return [];
    return (JSON.parse(r.stdout) as { paths?: TorPath[] }).paths ?? [];
  }

  /** Next hops of the ToR's kernel route to the address (several: a multipath route). */
  async kernelNexthops(): Promise<string[]> {
    const r = await sh("ip", ["-n", this.torNs, "-j", "route", "show", `${ECMP_LB}/32`]);
    const routes = JSON.parse(r.stdout || "[]") as { gateway?: string; nexthops?: { gateway: string }[] }[];
    return routes.flatMap((x) => (x.nexthops ? x.nexthops.map((n) => n.gateway) : x.gateway ? [x.gateway] : [])).sort();
  }

  torCli(args: string[]) {
    return this.ul.run(this.torNs, "vtysh", ["--vty_socket", this.torDir, ...args]);
  }

  inClient = (cmd: string, args: string[], timeoutMs?: number) => sh("ip", ["netns", "exec", this.clientNs, cmd, ...args], { timeoutMs: timeoutMs ?? 10_000 });

  /** `n` new connections from the client to the LB address: the node name in each reply (ERR/EMPTY when none). */
  answers(n: number): Promise<string[]> {
    return replies(this.inClient, ECMP_LB, 80, n);
  }

  /** Wait until the ToR's route to the address has exactly these next hops (BGP table and kernel). */
  async waitNexthops(want: string[], timeoutMs = 60_000): Promise<void> {
    const sorted = [...want].sort();
    const ok = await eventually(async () => {
      const paths = await this.torPaths();
      const hops = paths.map((p) => p.nexthops[0]?.ip ?? "").sort();
      return JSON.stringify(hops) === JSON.stringify(sorted) && JSON.stringify(await this.kernelNexthops()) === JSON.stringify(sorted);
    }, timeoutMs, 200);
    if (!ok) throw new Error(`the ToR's next hops for ${ECMP_LB}: BGP ${JSON.stringify(await this.torPaths())}, kernel ${JSON.stringify(await this.kernelNexthops())}; wanted ${JSON.stringify(sorted)}`);
  }

  nodeName(h: TestHost): string {
    return `n${this.nodes.indexOf(h) + 1}`;
  }

  /**
   * The node dies as a machine does: pontond and its bgpd killed (-9), its link to the switch down.
   * The ToR notices at hold-time expiry (no TCP reset reaches it).
   */
  async killNode(h: TestHost): Promise<void> {
    const pidFile = path.join(h.stateDir, "bgp", "bgpd.pid");
    const bgpd = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : 0;
    await h.inHost("ip", ["link", "set", "ul0", "down"]);
    await h.stopDaemon("SIGKILL");
    if (bgpd > 0) {
      try {
        process.kill(bgpd, "SIGKILL");
      } catch {
        // gone
      }
    }
  }

  /**
   * Client source ports whose connections the ToR sends through node `name` (the hash is over the
   * ports, so the same source port takes the same path while the paths stay the same).
   */
  async portsThrough(name: string, count = 3, from = 41000): Promise<number[]> {
    const got = await replies(this.inClient, ECMP_LB, 80, 24, from);
    const ports = got.flatMap((n, i) => (n === name ? [from + i] : [])).slice(0, count);
    if (ports.length === 0) throw new Error(`no connection went through ${name}: ${JSON.stringify(got)}`);
    return ports;
  }

  /**
   * From `t0`, the ms until a new connection from every one of these source ports (flows that went
   * through a node now withdrawn) is answered: pass after pass, 500 ms connect timeout each.
   */
  async msUntilFlowsSucceed(t0: number, ports: number[], timeoutMs = 120_000): Promise<number> {
    const one = (p: number) => `socat -T2 -u TCP:${ECMP_LB}:80,sourceport=${p},reuseaddr,connect-timeout=0.5 - 2>/dev/null | grep -q . || ok=0`;
    const script = `end=$(($(date +%s) + ${Math.ceil(timeoutMs / 1000)})); while [ $(date +%s) -lt $end ]; do ok=1; ${ports.map(one).join("; ")}; if [ $ok = 1 ]; then date +%s%3N; exit 0; fi; done; exit 1`;
    const r = await this.inClient("sh", ["-c", script], timeoutMs + 5000);
    if (r.code !== 0) throw new Error(`connections from ports ${ports.join(",")} to ${ECMP_LB} did not succeed within ${timeoutMs} ms`);
    return Number(r.stdout.trim()) - t0;
  }

  async tearDown(): Promise<void> {
    for (const c of this.frr) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await exited;
    }
    for (const h of this.nodes) await h.tearDown();
    await sh("ip", ["netns", "del", this.clientNs]);
    await this.ul.tearDown();
  }
}
