// Namespace and process helpers. Every namespace made here is registered on the cleanup stack,
// and every background process is killed by the PID we got from spawn, never by name.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { defer } from "./cleanup";
import { mustRun, run } from "./proc";

const NETNS_DIR = "/run/netns";

/** argv prefix that runs a command inside a named netns (a fresh mount ns, /sys remounted). */
export function inNs(ns: string, argv: readonly string[]): string[] {
  return ["ip", "netns", "exec", ns, ...argv];
}

/** Creates the namespace that plays the host: loopback up, nothing else. */
export async function createHostNs(name: string): Promise<() => Promise<void>> {
  await mustRun(["ip", "netns", "add", name]);
  const undo = defer(`netns del ${name}`, () => deleteNamespaces([name]));
  await mustRun(["ip", "-n", name, "link", "set", "lo", "up"]);
  return undo;
}

/** Creates many namespaces with one `ip -batch` (untimed setup, like the anchors). */
export async function createNamespaces(names: readonly string[]): Promise<() => Promise<void>> {
  const undo = defer(`netns del ${names.length} workload namespaces`, () => deleteNamespaces(names));
  await mustRun(["ip", "-batch", "-"], { input: names.map((n) => `netns add ${n}\n`).join("") });
  return undo;
}

export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  const present = names.filter((n) => fs.existsSync(`${NETNS_DIR}/${n}`));
  if (present.length === 0) return;
  // -force keeps going past an error so one bad entry does not strand the rest.
  await run(["ip", "-force", "-batch", "-"], { input: present.map((n) => `netns del ${n}\n`).join("") });
}

/** Names under /run/netns that belong to this run: `prefix` followed by a non-digit or nothing. */
export function ownedNamespaces(prefix: string): string[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
  return entries.filter((e) => e.startsWith(prefix) && !/^[0-9]/.test(e.slice(prefix.length)));
}

const children = new Map<number, string>();

/** Starts a long-running helper (httpd, daemon) and registers a kill by its PID. */
export function startBackground(argv: readonly string[], logFile?: string): { pid: number; exited: Promise<number | null> } {
  const out = logFile ? fs.openSync(logFile, "a") : "ignore";
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", out, out] });
  if (typeof out === "number") fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`spawn ${argv.join(" ")} failed`);
  const pid = child.pid;
  children.set(pid, argv.join(" "));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => {
    children.delete(pid);
    resolve(code);
  }));
  child.on("error", () => undefined);
  defer(`kill ${pid} (${argv[0]})`, () => killAndWait(pid, exited));
  return { pid, exited };
}

/** SIGTERM, then SIGKILL after a grace period; only PIDs this process started. */
export async function killAndWait(pid: number, exited: Promise<number | null>, graceMs = 3000): Promise<void> {
  if (!children.has(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs))]);
  if (timedOut && children.has(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    await exited;
  }
}

export interface NsAddr {
  ip: string;
  gateway: string;
}

/** Reads the workload's IPv4 address and default gateway from the kernel, not from any tool's output. */
export async function inspectAddr(exec: readonly string[]): Promise<NsAddr> {
  const addrs = JSON.parse((await mustRun([...exec, "ip", "-j", "-4", "addr", "show"])).stdout) as Array<{
    ifname: string;
    addr_info: Array<{ family: string; local: string; scope: string }>;
  }>;
  const ip = addrs
    .filter((l) => l.ifname !== "lo")
    .flatMap((l) => l.addr_info)
    .find((a) => a.family === "inet" && a.scope === "global")?.local;
  const routes = JSON.parse((await mustRun([...exec, "ip", "-j", "-4", "route", "show", "default"])).stdout) as Array<{ gateway?: string }>;
  const gateway = routes.find((r) => r.gateway)?.gateway;
  if (!ip || !gateway) throw new Error(`no IPv4 address or default route in workload (ip=${ip}, gw=${gateway})`);
  return { ip, gateway };
}

/** Count of veth interfaces left in a namespace (0 after a clean DEL of every workload). */
export async function vethCount(ns: string): Promise<number> {
  const r = await mustRun(["ip", "-n", ns, "-j", "link", "show", "type", "veth"]);
  return (JSON.parse(r.stdout || "[]") as unknown[]).length;
}

/** The machine's own state that the run must leave untouched. */
export async function machineSnapshot(): Promise<{ nftTables: string; ipForward: string }> {
  const nft = await run(["nft", "list", "tables"]);
  return {
    nftTables: nft.stdout.trim(),
    ipForward: fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(),
  };
}
