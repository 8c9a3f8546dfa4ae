// The floor: the same per-workload kernel work an engine that shells out must do, by hand,
// in as few processes as possible (RESULTS.md "2x ip -batch + 1x nft add element" row).
// The static skeleton (bridge, nft table with a port map) is set up once, untimed, as an
// engine's network creation would be.
import { createHostNs, createNamespaces, inNs } from "../lib/netns";
import { mustRun, run } from "../lib/proc";
import { CONTAINER_PORT, Endpoint, OpResult, Subject, Undos, hostPort, ipIn16 } from "./subject";

const BASE = "10.233.0.0";
const GATEWAY = "10.233.0.1";
const TABLE = "pbfloor";

export class FloorSubject implements Subject {
  readonly id = "floor";
  readonly label = "floor: 2x ip -batch + 1x nft";
  readonly hostNs: string;
  readonly notes = ["ADD = ip -n HOST -batch (veth, master, up) + ip -n C -batch (addr, up, route) + nft add element; DEL = ip link del + nft delete element"];
  private readonly bridge: string;
  private readonly undos = new Undos();

  constructor(private readonly prefix: string) {
    this.hostNs = `${prefix}-fl-host`;
    this.bridge = `${prefix}-fbr`;
  }

  private ns(i: number): string {
    return `${this.prefix}-fl-c${i}`;
  }

  private veth(i: number): string {
    return `${this.prefix}v${i}`;
  }

  async setup(count: number): Promise<void> {
    this.undos.push(await createHostNs(this.hostNs));
    this.undos.push(await createNamespaces(Array.from({ length: count + 1 }, (_, i) => this.ns(i))));
    await mustRun(["ip", "-n", this.hostNs, "-batch", "-"], {
      input: `link add ${this.bridge} type bridge\naddr add ${GATEWAY}/16 dev ${this.bridge}\nlink set ${this.bridge} up\n`,
    });
    await mustRun(inNs(this.hostNs, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]));
    // Map-based DNAT: one element per published port, flat per-packet cost. The masquerade
    // rule makes hairpin (workload -> gateway:hostPort -> another workload) work.
    await mustRun(inNs(this.hostNs, ["nft", "-f", "-"]), {
      input: `table ip ${TABLE} {
  map pm { type inet_service : ipv4_addr . inet_service; }
  chain pre { type nat hook prerouting priority dstnat; policy accept; fib daddr type local dnat ip to tcp dport map @pm; }
  chain out { type nat hook output priority -100; policy accept; fib daddr type local dnat ip to tcp dport map @pm; }
  chain post { type nat hook postrouting priority srcnat; policy accept; ip saddr ${BASE}/16 ct status dnat masquerade; ip saddr ${BASE}/16 ip daddr != ${BASE}/16 masquerade; }
}
`,
    });
  }

  private async step(argv: string[], input?: string): Promise<number> {
    const r = await run(argv, { input });
    if (r.code !== 0) throw new Error(`${argv.join(" ")}: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
    return r.ms;
  }

  async add(i: number): Promise<OpResult> {
    const ip = ipIn16(BASE, i + 2);
    const parts = {
      hostBatch: await this.step(["ip", "-n", this.hostNs, "-batch", "-"],
        `link add ${this.veth(i)} type veth peer name eth0 netns ${this.ns(i)}\nlink set ${this.veth(i)} master ${this.bridge} up\n`),
      nsBatch: await this.step(["ip", "-n", this.ns(i), "-batch", "-"],
        `link set lo up\naddr add ${ip}/16 dev eth0\nlink set eth0 up\nroute add default via ${GATEWAY}\n`),
      nft: await this.step(inNs(this.hostNs, ["nft", "add", "element", "ip", TABLE, "pm", `{ ${hostPort(i)} : ${ip} . ${CONTAINER_PORT} }`])),
    };
    return { ms: parts.hostBatch + parts.nsBatch + parts.nft, parts };
  }

  async del(i: number): Promise<OpResult> {
    const parts = {
      linkDel: await this.step(["ip", "-n", this.hostNs, "link", "del", this.veth(i)]),
      nft: await this.step(inNs(this.hostNs, ["nft", "delete", "element", "ip", TABLE, "pm", `{ ${hostPort(i)} }`])),
    };
    return { ms: parts.linkDel + parts.nft, parts };
  }

  async endpoint(i: number): Promise<Endpoint> {
    return { exec: inNs(this.ns(i), []) };
  }

  async teardown(): Promise<void> {
    await this.undos.runAll();
  }
}
