// The CNI_* environment (relayed by the plugin binary as X-Cni-* headers) and its validation.
import type { IncomingHttpHeaders } from "node:http";
import { CNI_CODE, CniError } from "./errors";

export type CniCommand = "ADD" | "DEL" | "CHECK" | "STATUS" | "GC";

export interface CniEnv {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifname: string;
  path: string;
  /** CNI_ARGS as key=value pairs (IP, MAC, K8S_POD_NAME, …). */
  args: Record<string, string>;
}

const HEADERS = { CNI_COMMAND: "x-cni-command", CNI_CONTAINERID: "x-cni-containerid", CNI_NETNS: "x-cni-netns", CNI_IFNAME: "x-cni-ifname", CNI_ARGS: "x-cni-args", CNI_PATH: "x-cni-path" } as const;
type Var = keyof typeof HEADERS;

/** Which variables each command needs (spec section "Parameters"; DEL may come without a netns). */
const REQUIRED: Record<CniCommand, Var[]> = {
  ADD: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  CHECK: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  DEL: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"],
  STATUS: ["CNI_PATH"],
  GC: ["CNI_PATH"],
};

const KNOWN_ARGS = new Set(["IgnoreUnknown", "IP", "MAC", "K8S_POD_NAME", "K8S_POD_NAMESPACE", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID"]);
const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The plugin percent-encodes bytes HTTP headers cannot carry (and '%'). */
function percentDecode(v: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(v.slice(i + 1, i + 3))) {
      bytes.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(v.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes).toString("utf8");
}

export function parseCniArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(";").filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CniError(CNI_CODE.INVALID_ENV, `invalid environment variable CNI_ARGS: '${pair}' is not KEY=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const ignoreUnknown = /^(1|true)$/i.test(out.IgnoreUnknown ?? "");
  const unknown = Object.keys(out).find((k) => !KNOWN_ARGS.has(k));
  if (unknown && !ignoreUnknown) throw new CniError(CNI_CODE.INVALID_ENV, `invalid environment variable CNI_ARGS: unknown key ${unknown}`, "add IgnoreUnknown=1 to ignore it");
  return out;
}

export function validIfname(name: string): boolean {
  return Buffer.byteLength(name) <= 15 && name !== "." && name !== ".." && !/[/:\s]/.test(name) && name.length > 0;
}

export function envFromHeaders(h: IncomingHttpHeaders): CniEnv {
  const get = (v: Var): string => {
    const raw = h[HEADERS[v]];
    return typeof raw === "string" ? percentDecode(raw) : "";
  };
  const command = get("CNI_COMMAND");
  if (!command) throw new CniError(CNI_CODE.INVALID_ENV, "missing environment variable CNI_COMMAND");
  if (!(command in REQUIRED)) throw new CniError(CNI_CODE.INVALID_ENV, `invalid environment variable CNI_COMMAND: unknown command ${command}`);
  const cmd = command as CniCommand;
  const missing = REQUIRED[cmd].filter((v) => get(v) === "");
  if (missing.length) throw new CniError(CNI_CODE.INVALID_ENV, `missing environment variable${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  const env: CniEnv = { command: cmd, containerId: get("CNI_CONTAINERID"), netns: get("CNI_NETNS"), ifname: get("CNI_IFNAME"), path: get("CNI_PATH"), args: parseCniArgs(get("CNI_ARGS")) };
  if (env.containerId && !CONTAINER_ID.test(env.containerId)) {
    throw new CniError(CNI_CODE.INVALID_ENV, `invalid environment variable CNI_CONTAINERID: '${env.containerId}'`, "letters, digits, '_', '.', '-', starting with a letter or digit");
  }
  if (env.ifname && !validIfname(env.ifname)) {
    throw new CniError(CNI_CODE.INVALID_ENV, `invalid environment variable CNI_IFNAME: '${env.ifname}'`, "at most 15 bytes, no '/', ':' or whitespace, not '.' or '..'");
  }
  if (env.netns && !env.netns.startsWith("/")) throw new CniError(CNI_CODE.INVALID_ENV, `invalid environment variable CNI_NETNS: '${env.netns}' is not an absolute path`);
  return env;
}
