// A throwaway "host" for integration tests: a network namespace with an uplink to an "outside"
// namespace (the only world traffic may reach), a pontond of its own, and complete cleanup.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "../../src/client/client";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..", "..");
const BIN = path.join(ROOT, "bin");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never throws on a non-zero exit (tests look at the code). */
export async function sh(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

export const UPLINK_HOST = "198.51.100.1";
export const OUTSIDE_A = "198.51.100.2";
export const OUTSIDE_B = "198.51.100.3";
export const UPLINK_HOST6 = "2001:db8:51::1";
export const OUTSIDE_6 = "2001:db8:51::2";

let counter = 0;

export class TestHost {
  readonly prefix: string;
  readonly hostNs: string;
  readonly outsideNs: string;
  readonly dir: string;
  readonly socket: string;
  readonly client: Client;
  private daemon: ChildProcess | undefined;
  /** Extra pontond options for the next startDaemon(). */
  daemonArgs: string[] = [];
  /** Extra environment and a umask (e.g. 0o000) for the next startDaemon(). */
  daemonEnv: Record<string, string> = {};
  /** Node options for pontond itself (a bench's `--cpu-prof`: NODE_OPTIONS refuses it). */
  daemonNodeArgs: string[] = [];
  /** Another build's bin/ for the next startDaemon() (a bench comparing two builds on one state). */
  daemonBin = BIN;
  daemonUmask: number | undefined;
  private readonly pids: number[] = [];

  /** `prefix`: the namespaces' name prefix instead of the per-run one (a bench run by hand under its own prefix). */
  constructor(name: string, prefix?: string) {
    // Short and unique per run: netns names are global on the machine.
    this.prefix = prefix ?? `pt${process.pid % 100000}${name}${counter++}`;
    this.hostNs = `${this.prefix}-HOST`;
    this.outsideNs = `${this.prefix}-OUT`;
    this.dir = mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-`));
    this.socket = path.join(this.dir, "ponton.sock");
    this.client = new Client(this.socket);
  }

  get stateDir(): string {
    return path.join(this.dir, "state");
  }

  /** Host namespace, uplink to the outside, default route through it, fake upstream resolv.conf. */
  /** `beforeDaemon` runs once the namespaces exist (e.g. to plug the host into a cluster's underlay). */
  async setUp(opts: { beforeDaemon?: () => Promise<void> } = {}): Promise<this> {
    const h = this.hostNs;
    const o = this.outsideNs;
    await must("ip", ["netns", "add", h]);
    await must("ip", ["netns", "add", o]);
    await must("ip", ["-n", h, "link", "set", "lo", "up"]);
    await must("ip", ["-n", o, "link", "set", "lo", "up"]);
    await must("ip", ["-n", h, "link", "add", "uplink0", "type", "veth", "peer", "name", "eth0", "netns", o]);
    await must("ip", ["-n", h, "addr", "add", `${UPLINK_HOST}/24`, "dev", "uplink0"]);
    await must("ip", ["-n", h, "addr", "add", `${UPLINK_HOST6}/64`, "dev", "uplink0", "nodad"]);
    await must("ip", ["-n", h, "link", "set", "uplink0", "up"]);
    await must("ip", ["-n", o, "addr", "add", `${OUTSIDE_A}/24`, "dev", "eth0"]);
    await must("ip", ["-n", o, "addr", "add", `${OUTSIDE_B}/24`, "dev", "eth0"]);
    await must("ip", ["-n", o, "addr", "add", `${OUTSIDE_6}/64`, "dev", "eth0", "nodad"]);
    await must("ip", ["-n", o, "link", "set", "eth0", "up"]);
    await must("ip", ["-n", h, "route", "add", "default", "via", OUTSIDE_A]);
    await must("ip", ["-n", h, "-6", "route", "add", "default", "via", OUTSIDE_6]);
    writeFileSync(path.join(this.dir, "resolv.conf"), `nameserver ${OUTSIDE_A}\n`);
    await opts.beforeDaemon?.();
    await this.startDaemon();
    return this;
  }

  /** pontond enters only the host's network namespace (nsenter), so the namespaces it names are visible machine-wide. */
  async startDaemon(): Promise<void> {
    mkdirSync(this.stateDir, { recursive: true });
    const log = path.join(this.dir, "pontond.log");
    const out = openSync(log, "a");
    const argv = [`--net=/run/netns/${this.hostNs}`, process.execPath, ...this.daemonNodeArgs, path.join(this.daemonBin, "pontond"), "--state-dir", this.stateDir, "--socket", this.socket, "--prefix", this.prefix, "--host-resolv-conf", path.join(this.dir, "resolv.conf"), ...this.daemonArgs];
    const env = { ...process.env, ...this.daemonEnv };
    // sh sets the umask and execs nsenter: the daemon keeps the PID we hold.
    this.daemon =
      this.daemonUmask === undefined
        ? spawn("nsenter", argv, { stdio: ["ignore", out, out], env })
        : spawn("sh", ["-c", `umask ${this.daemonUmask.toString(8).padStart(3, "0")} && exec nsenter "$@"`, "sh", ...argv], { stdio: ["ignore", out, out], env });
    for (let i = 0; i < 200; i++) {
      if (existsSync(this.socket)) {
        try {
          await this.client.request("GET", "/v1/info");
          return;
        } catch {
          // not ready yet
        }
      }
      if (this.daemon.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`pontond did not start: ${readFileSync(log, "utf8")}`);
  }

  /** SIGKILL (crash) or SIGTERM the daemon we started, by PID. */
  async stopDaemon(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const d = this.daemon;
    if (!d || d.exitCode !== null || d.signalCode !== null) return;
    const exited = new Promise((r) => d.once("exit", r));
    d.kill(signal);
    await exited;
  }

  get daemonPid(): number | undefined {
    return this.daemon?.pid;
  }

  /** The CLI exactly as a user runs it. */
  ponton(...args: string[]): Promise<Result> {
    return sh(process.execPath, [path.join(BIN, "ponton"), "--socket", this.socket, ...args], { timeoutMs: 60_000 });
  }

  async pontonOk(...args: string[]): Promise<string> {
    const r = await this.ponton(...args);
    if (r.code !== 0) throw new Error(`ponton ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  ns(workload: string): string {
    return `${this.prefix}-${workload}`;
  }

  /** Run a command in the host namespace (network only). */
  inHost(cmd: string, args: string[], timeoutMs = 10_000): Promise<Result> {
    return sh("nsenter", [`--net=/run/netns/${this.hostNs}`, cmd, ...args], { timeoutMs });
  }

  inOutside(cmd: string, args: string[], timeoutMs = 10_000): Promise<Result> {
    return sh("ip", ["netns", "exec", this.outsideNs, cmd, ...args], { timeoutMs });
  }

  inWorkload(workload: string, cmd: string, args: string[], timeoutMs = 10_000): Promise<Result> {
    return sh("ip", ["netns", "exec", this.ns(workload), cmd, ...args], { timeoutMs });
  }

  /** A background process in a namespace (netns name or "host"), killed by PID in tearDown. */
  spawnIn(netns: string, cmd: string, args: string[]): ChildProcess {
    const child =
      netns === this.hostNs
        ? spawn("nsenter", [`--net=/run/netns/${netns}`, cmd, ...args], { stdio: "ignore" })
        : spawn("ip", ["netns", "exec", netns, cmd, ...args], { stdio: "ignore" });
    if (child.pid) this.pids.push(child.pid);
    return child;
  }

  async tearDown(): Promise<void> {
    for (const pid of this.pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    // Let the engine remove what it made, as a user would; then make sure by name prefix.
    try {
      for (const w of await this.client.request<{ name: string }[]>("GET", "/v1/workloads")) {
        await this.client.request("DELETE", `/v1/workloads/${w.name}?force=1&time=0`).catch(() => undefined);
      }
    } catch {
      // daemon already gone
    }
    this.client.close();
    await this.stopDaemon("SIGKILL");
    for (const ns of readdirSync("/run/netns").filter((n) => n.startsWith(`${this.prefix}-`))) {
      await sh("ip", ["netns", "pids", ns]).then(async (r) => {
        for (const pid of r.stdout.split("\n").filter(Boolean)) await sh("kill", ["-9", pid]);
      });
      await sh("ip", ["netns", "del", ns]);
    }
    for (const d of existsSync("/etc/netns") ? readdirSync("/etc/netns") : []) {
      if (d.startsWith(`${this.prefix}-`)) rmSync(path.join("/etc/netns", d), { recursive: true, force: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function must(cmd: string, args: string[]): Promise<void> {
  await run(cmd, args);
}

/** A process is alive when /proc/PID/stat exists and it is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` returns true or the time is up (behaviour, not timing: the bound is generous). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, stepMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(stepMs);
  }
  return check();
}

/** A document root with one index.html, for busybox httpd (in a namespace or as a workload command). */
export function docRoot(h: TestHost, name: string, text: string): string {
  const root = path.join(h.dir, `www-${name}`);
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, "index.html"), text + "\n");
  return root;
}

/** Serve a fixed text over HTTP in a namespace with busybox httpd. */
export function httpServer(host: TestHost, netns: string, port: number, text: string): void {
  host.spawnIn(netns, "busybox", ["httpd", "-f", "-p", String(port), "-h", docRoot(host, `${netns}-${port}`, text)]);
}

/** A workload as `ponton ls|inspect -o json` prints it (the fields tests read). */
export interface WorkloadJson {
  name: string;
  state: string;
  pid?: number;
  /** The /run/netns name of a namespace ponton owns. */
  netnsName?: string;
  project?: string;
  labels: Record<string, string>;
  networks: { network: string; ifname: string; hostIfname: string; ip4?: string }[];
}

export const listWorkloads = async (h: TestHost) => JSON.parse(await h.pontonOk("ls", "-o", "json")) as WorkloadJson[];
export const inspect = async (h: TestHost, name: string) => (JSON.parse(await h.pontonOk("inspect", name)) as WorkloadJson[])[0]!;
export const ping = async (h: TestHost, from: string, ip: string) => (await h.inWorkload(from, "ping", ["-c", "1", "-W", "1", ip])).code === 0;

/** HTTP GET with curl from a namespace; returns the body or "" on failure. */
export async function curlFrom(run: (cmd: string, args: string[], t?: number) => Promise<Result>, url: string, extra: string[] = []): Promise<string> {
  const r = await run("curl", ["-s", "-m", "3", ...extra, url], 8000);
  return r.code === 0 ? r.stdout.trim() : "";
}
