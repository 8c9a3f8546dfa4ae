// The node's underlay address when --node-ip is not given: the source the kernel would use towards etcd.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { EngineError } from "../errors";

const run = promisify(execFile);

export async function sourceAddressTowards(endpoint: string): Promise<string> {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, "");
  try {
    const { stdout } = await run("ip", ["-j", "route", "get", host]);
    const src = (JSON.parse(stdout) as { prefsrc?: string }[])[0]?.prefsrc;
    if (src) return src;
  } catch {
    // fall through to the error below
  }
  throw new EngineError("INVALID_ARGUMENT", `cannot tell this node's address towards ${host}; give --node-ip`);
}
