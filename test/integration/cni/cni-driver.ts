// Drives CNI plugins exactly as libcni does: one process per plugin with CNI_* env and the
// plugin's config on stdin (name, cniVersion, runtimeConfig for declared capabilities, prevResult).
import { spawn } from "node:child_process";
import path from "node:path";
import { sh, type TestHost } from "../harness";

export const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
export const CNI_PATH = `${path.join(ROOT, "bin")}:/usr/lib/cni`;

export interface CniCall {
  code: number;
  stdout: string;
  json: Record<string, unknown> | undefined;
}

export interface Runtime {
  containerId: string;
  netns: string;
  ifname?: string;
  args?: string;
  /** Capability arguments (portMappings, ips, mac, dns…), given to plugins that declare them. */
  capabilityArgs?: Record<string, unknown>;
}

/** One plugin invocation, run in the test host's network namespace like a runtime on that host. */
export function execPlugin(h: TestHost, type: string, command: string, rt: Partial<Runtime>, stdin: string, extraEnv: Record<string, string> = {}): Promise<CniCall> {
  const bin = type === "ponton-cni" ? path.join(ROOT, "bin", "ponton-cni") : path.join("/usr/lib/cni", type);
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", CNI_COMMAND: command, CNI_PATH, PONTON_SOCKET: h.socket, ...extraEnv };
  if (rt.containerId) env.CNI_CONTAINERID = rt.containerId;
  if (rt.netns) env.CNI_NETNS = rt.netns;
  if (rt.containerId) env.CNI_IFNAME = rt.ifname ?? "eth0";
  if (rt.args) env.CNI_ARGS = rt.args;
  for (const [k, v] of Object.entries(extraEnv)) {
    if (v === "") delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve) => {
    const child = spawn("nsenter", [`--net=/run/netns/${h.hostNs}`, bin], { env, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = out.trim() ? (JSON.parse(out) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? 1, stdout: out, json });
    });
    // VERSION is answered without reading stdin: the plugin may exit first (EPIPE is not a failure).
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

/** The config libcni hands one plugin of a list. */
function pluginConf(list: Conflist, plugin: Record<string, unknown>, rt: Runtime, prevResult: unknown): string {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rt.capabilityArgs ?? {})) if (caps[k]) runtimeConfig[k] = v;
  if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  if (prevResult !== undefined) conf.prevResult = prevResult;
  return JSON.stringify(conf);
}

/** ADD through the list; returns the final result (libcni caches it for CHECK and DEL). */
export async function addList(h: TestHost, list: Conflist, rt: Runtime): Promise<CniCall> {
  let prev: unknown;
  let last: CniCall = { code: 0, stdout: "", json: undefined };
  for (const p of list.plugins) {
    last = await execPlugin(h, String(p.type), "ADD", rt, pluginConf(list, p, rt, prev));
    if (last.code !== 0) return last;
    prev = last.json;
  }
  return last;
}

export async function checkList(h: TestHost, list: Conflist, rt: Runtime, cached: unknown): Promise<CniCall> {
  for (const p of list.plugins) {
    const r = await execPlugin(h, String(p.type), "CHECK", rt, pluginConf(list, p, rt, cached));
    if (r.code !== 0) return r;
  }
  return { code: 0, stdout: "", json: undefined };
}

/** DEL in reverse order, each with the cached result as prevResult; libcni goes on past errors. */
export async function delList(h: TestHost, list: Conflist, rt: Runtime, cached?: unknown): Promise<CniCall> {
  let first: CniCall | undefined;
  for (const p of [...list.plugins].reverse()) {
    const r = await execPlugin(h, String(p.type), "DEL", rt, pluginConf(list, p, rt, cached));
    if (r.code !== 0 && !first) first = r;
  }
  return first ?? { code: 0, stdout: "", json: undefined };
}

/** A sandbox namespace named with the host's prefix (so teardown finds it). */
export async function makeSandbox(h: TestHost, name: string): Promise<string> {
  const ns = `${h.prefix}-${name}`;
  await sh("ip", ["netns", "add", ns]);
  await sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
  return `/run/netns/${ns}`;
}
