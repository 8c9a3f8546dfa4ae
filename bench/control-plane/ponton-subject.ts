// Ponton, the engine under test: a daemon inside the host namespace, driven either through its
// HTTP API (the engine's own cost) or through its CLI (adds a Node start per operation).
// Unlike the other subjects, Ponton creates the workload's netns itself, inside the timing.
import * as fs from "node:fs";
import { createHostNs, deleteNamespaces } from "../lib/netns";
import { CLI_JS, PontonDaemon, apiError } from "../lib/ponton-daemon";
import { run } from "../lib/proc";
import { CONTAINER_PORT, Endpoint, OpResult, Subject, Undos, hostPort } from "./subject";

const NETWORK = { name: "bench", subnet: "10.240.0.0/16" };

export type PontonMode = "api" | "cli";

export class PontonSubject implements Subject {
  readonly id: string;
  readonly label: string;
  readonly hostNs: string;
  readonly notes: string[];
  private readonly daemon: PontonDaemon;
  private readonly bodies = new Map<number, unknown>();
  private readonly undos = new Undos();
  private netnsBefore = new Set<string>();

  constructor(private readonly mode: PontonMode, private readonly prefix: string, tmp: string) {
    this.id = `ponton-${mode}`;
    this.label = mode === "api" ? "Ponton (HTTP API)" : "Ponton (CLI, incl. Node start)";
    this.hostNs = `${prefix}-host`;
    const dir = `${tmp}/${this.id}`;
    fs.mkdirSync(dir, { recursive: true });
    this.daemon = new PontonDaemon(this.hostNs, prefix, dir);
    this.notes = mode === "api"
      ? ["one keep-alive HTTP request per op, timed at the client; includes netns creation (the others' is untimed)"]
      : ["one `node cli/main.js` process per op (run / rm); includes a Node start"];
  }

  private name(i: number): string {
    return `w${i}`;
  }

  async setup(): Promise<void> {
    if (!PontonDaemon.built()) throw new Error("daemon not built (dist/src/daemon/main.js missing)");
    this.undos.push(await createHostNs(this.hostNs));
    await this.daemon.start();
    this.netnsBefore = new Set(this.daemonNetns());
    const r = await this.daemon.request("POST", "/v1/networks", NETWORK);
    if (r.status !== 201) throw new Error(`POST /v1/networks: ${apiError(r)}`);
  }

  async add(i: number): Promise<OpResult> {
    if (this.mode === "cli") return this.cli(["run", "--name", this.name(i), "--network", NETWORK.name, "-p", `${hostPort(i)}:${CONTAINER_PORT}`]);
    const r = await this.daemon.request("POST", "/v1/workloads", {
      name: this.name(i),
      networks: [{ network: NETWORK.name }],
      ports: [{ hostPort: hostPort(i), containerPort: CONTAINER_PORT, protocol: "tcp" }],
    });
    if (r.status !== 201) throw new Error(`POST /v1/workloads ${this.name(i)}: ${apiError(r)}`);
    this.bodies.set(i, r.body);
    return { ms: r.ms };
  }

  async del(i: number): Promise<OpResult> {
    this.bodies.delete(i);
    if (this.mode === "cli") return this.cli(["rm", this.name(i)]);
    const r = await this.daemon.request("DELETE", `/v1/workloads/${this.name(i)}`);
    if (r.status !== 200) throw new Error(`DELETE /v1/workloads/${this.name(i)}: ${apiError(r)}`);
    return { ms: r.ms };
  }

  private async cli(args: string[]): Promise<OpResult> {
    const r = await run([process.execPath, CLI_JS, "--socket", this.daemon.socket, ...args]);
    if (r.code !== 0) throw new Error(`ponton ${args.join(" ")}: exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
    return { ms: r.ms };
  }

  async endpoint(i: number): Promise<Endpoint> {
    let body = this.bodies.get(i);
    if (body === undefined) {
      const r = await this.daemon.request("GET", `/v1/workloads/${this.name(i)}`);
      if (r.status === 200) body = r.body;
    }
    const wanted = new RegExp(`(^|[^a-z0-9])${this.name(i)}$`);
    const ns = findNetns(body) ?? this.daemonNetns().find((n) => n.startsWith(this.prefix) && wanted.test(n));
    if (!ns) throw new Error(`cannot find the netns of ${this.name(i)} (not in the API response nor under /run/netns)`);
    return { exec: ["ip", "netns", "exec", ns] };
  }

  private daemonNetns(): string[] {
    try {
      return fs.readdirSync("/run/netns");
    } catch {
      return [];
    }
  }

  async teardown(): Promise<void> {
    if (this.daemon.listening) {
      const r = await this.daemon.request("DELETE", `/v1/networks/${NETWORK.name}`).catch((e: Error) => ({ status: 0, body: e.message, ms: 0 }));
      if (r.status !== 200) this.notes.push(`DELETE /v1/networks/${NETWORK.name}: ${apiError(r)}`);
    }
    // Read before stopping: /proc/<pid>/root disappears with the daemon.
    const leftover = this.daemonNetns().filter((n) => !this.netnsBefore.has(n));
    if (leftover.length) this.notes.push(`netns left by the daemon after all DELs: ${leftover.join(" ")}`);
    await this.daemon.stop();
    // Only names carrying our prefix are ours to remove; anything else is reported above.
    await deleteNamespaces(leftover.filter((n) => n.startsWith(this.prefix)));
    await this.undos.runAll();
  }

  daemonLog(): string {
    return this.daemon.logTail(10);
  }
}

/** The workload's netns name, from whatever field the API response carries it in. */
/** The workload's named network namespace, as the API reports it (`netnsName`). */
export function findNetns(body: unknown): string | undefined {
  const name = (body as { netnsName?: unknown } | null)?.netnsName;
  return typeof name === "string" ? name : undefined;
}
