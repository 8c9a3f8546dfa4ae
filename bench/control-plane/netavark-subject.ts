// netavark 1.4.0 driven directly, as podman does: `setup`/`teardown <netns path>` with the
// container's network JSON on stdin. netavark does no IPAM, so the caller supplies static_ips.
// Template: /work/shared/anchors/examples/netavark-setup-stdin.json (dns disabled here, as in
// the anchor's "bridge + 1 port mapping" row).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createHostNs, createNamespaces, inNs } from "../lib/netns";
import { run } from "../lib/proc";
import { CONTAINER_PORT, Endpoint, OpResult, Subject, Undos, hostPort, ipIn16 } from "./subject";

const NETAVARK = "/usr/lib/podman/netavark";
const NET = "pbnv";

export class NetavarkSubject implements Subject {
  readonly id = "netavark";
  readonly label = "netavark bridge + 1 port";
  readonly hostNs: string;
  readonly notes = ["one `netavark setup` / `teardown` process per workload, via `ip netns exec HOST`; netns creation not timed"];
  private readonly configDir: string;
  private readonly undos = new Undos();

  constructor(private readonly prefix: string, tmp: string) {
    this.hostNs = `${prefix}-nv-host`;
    this.configDir = `${tmp}/netavark-config`;
  }

  private ns(i: number): string {
    return `${this.prefix}-nv-c${i}`;
  }

  private stdin(i: number): string {
    const id = createHash("sha256").update(this.ns(i)).digest("hex");
    return JSON.stringify({
      container_id: id,
      container_name: this.ns(i),
      port_mappings: [{ host_ip: "", container_port: CONTAINER_PORT, host_port: hostPort(i), range: 1, protocol: "tcp" }],
      networks: { [NET]: { static_ips: [ipIn16("10.232.0.0", i + 2)], aliases: [id.slice(0, 12)], interface_name: "eth0" } },
      network_info: {
        [NET]: {
          name: NET,
          id: createHash("sha256").update(NET).digest("hex"),
          driver: "bridge",
          network_interface: `${this.prefix}-nbr`,
          subnets: [{ subnet: "10.232.0.0/16", gateway: "10.232.0.1" }],
          ipv6_enabled: false,
          internal: false,
          dns_enabled: false,
          ipam_options: { driver: "host-local" },
        },
      },
    });
  }

  async setup(count: number): Promise<void> {
    fs.mkdirSync(this.configDir, { recursive: true });
    this.undos.push(await createHostNs(this.hostNs));
    this.undos.push(await createNamespaces(Array.from({ length: count + 1 }, (_, i) => this.ns(i))));
  }

  private async call(cmd: "setup" | "teardown", i: number): Promise<OpResult> {
    const r = await run(inNs(this.hostNs, [NETAVARK, "--config", this.configDir, cmd, `/run/netns/${this.ns(i)}`]), { input: this.stdin(i) });
    if (r.code !== 0) throw new Error(`netavark ${cmd} c${i}: exit ${r.code}: ${(r.stderr + r.stdout).trim().slice(0, 300)}`);
    return { ms: r.ms };
  }

  add(i: number): Promise<OpResult> {
    return this.call("setup", i);
  }

  del(i: number): Promise<OpResult> {
    return this.call("teardown", i);
  }

  async endpoint(i: number): Promise<Endpoint> {
    return { exec: inNs(this.ns(i), []) };
  }

  async teardown(): Promise<void> {
    await this.undos.runAll();
  }
}
