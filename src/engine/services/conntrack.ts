// conntrack(8) through the Executor: per-endpoint connection counts (lc/wlc) and the targeted
// removal of flows NATed to an endpoint that went away. Never a flush: every call is filtered by
// original destination (VIP / host port) and reply source (the endpoint). conntrack(8) takes the
// family from the addresses given, so an IPv6 endpoint's filter touches IPv6 flows only.
import type { Executor } from "../../kernel";
import { CommandError } from "../../kernel/executor";

export interface FlowFilter {
  protocol: string;
  origDst?: string;
  origPortDst: number;
  replySrc: string;
  replyPortSrc: number;
}

const counted = (text: string) => Number(/(\d+) flow entries have been (?:deleted|shown)/.exec(text)?.[1] ?? 0);

/** Deletes the matching entries; returns how many went. conntrack exits 1 when none matched. */
export async function deleteFlows(exec: Executor, f: FlowFilter): Promise<number> {
  const args = ["-D", "-p", f.protocol, ...(f.origDst ? ["--orig-dst", f.origDst] : []), "--orig-port-dst", String(f.origPortDst), "--reply-src", f.replySrc, "--reply-port-src", String(f.replyPortSrc)];
  try {
    const r = await exec.run("conntrack", args);
    return counted(r.stderr + r.stdout);
  } catch (e) {
    if (e instanceof CommandError) return counted(e.stderr);
    throw e;
  }
}

/**
 * How many entries an endpoint (reply source) has, whatever their destination: one call tells that
 * the per-destination deletes of an endpoint that every changed service dropped have nothing to do.
 */
export async function countFlowsFrom(exec: Executor, protocol: string, replySrc: string, replyPortSrc: number): Promise<number> {
  const r = await exec.run("conntrack", ["-L", "-p", protocol, "--reply-src", replySrc, "--reply-port-src", String(replyPortSrc)]);
  return counted(r.stderr + r.stdout);
}

/**
 * Live connections per endpoint (reply source) for flows to `origDst`: established TCP, any UDP.
 * One filtered dump per destination: the kernel filters, we only count lines.
 */
export async function connectionsByEndpoint(exec: Executor, protocol: string, origDst: string, into: Map<string, number>): Promise<void> {
  const r = await exec.run("conntrack", ["-L", "-p", protocol, "--orig-dst", origDst]);
  for (const line of r.stdout.split("\n")) {
    if (protocol === "tcp" && !/\bESTABLISHED\b/.test(line)) continue;
    const srcs = [...line.matchAll(/\bsrc=(\S+)/g)];
    const replySrc = srcs[1]?.[1];
    if (replySrc) into.set(replySrc, (into.get(replySrc) ?? 0) + 1);
  }
}
