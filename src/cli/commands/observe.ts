// ponton observe / ponton flows status: flow records from the kernel, like `hubble observe`.
import { Transform } from "node:stream";
import { flowLine } from "../../flows/format";
import type { FlowRecord } from "../../flows";
import { OUTPUT_OPTION, type Command, type CommandContext } from "../command";
import { printTable, show } from "../output";

const FILTERS = ["verdict", "namespace", "workload", "port", "from", "to", "protocol", "policy", "since", "type", "dns"] as const;
/** Hubble's names on the command line, the API's names in the query. */
const HTTP_FILTERS = { "http-method": "httpMethod", "http-path": "httpPath", "http-status": "httpStatus" } as const;

/** A record, or the count pontond skipped because this reader fell behind. */
const lineOf = (r: FlowRecord | { lost: number }) => ("seq" in r ? flowLine(r) : `… ${r.lost} records skipped: this reader fell behind`);

/** NDJSON in, formatted lines out. */
function formatter(): Transform {
  let rest = "";
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      done(null, lines.filter(Boolean).map((l) => lineOf(JSON.parse(l) as FlowRecord | { lost: number }) + "\n").join(""));
    },
  });
}

/** The merged stream of every node: records as `NODE  line`, nodes leaving or joining on stderr. */
function nodeFormatter(): Transform {
  let rest = "";
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      const out: string[] = [];
      for (const l of lines.filter(Boolean)) {
        const x = JSON.parse(l) as (FlowRecord & { node: string }) | { event: string; node: string; reason?: string };
        if ("event" in x) console.error(`ponton: node ${x.node} ${x.event === "node-left" ? `left the stream (${x.reason ?? "gone"})` : "joined the stream"}`);
        else out.push(`${x.node}  ${flowLine(x)}\n`);
      }
      done(null, out.join(""));
    },
  });
}

export const observeCommand: Command = {
  usage: "ponton observe [--follow] [--since 5m] [--verdict DROPPED] [--namespace NS] [--workload NAME] [--from REF] [--to REF] [--port N] [--protocol tcp] [--policy NS/NAME] [--type l7] [--http-method M] [--http-path RE] [--http-status 4+] [--last N] [--all-nodes] [-o json]",
  summary: "Flow records read from the kernel: every new connection (FORWARDED) and every logged drop (DROPPED/REJECTED) with the rule or policy that decided.",
  options: {
    follow: { type: "boolean", short: "f", description: "keep printing new records" },
    since: { type: "string", description: "only records newer than a duration (30s, 5m, 2h) or a time", value: "WHEN" },
    verdict: { type: "string", description: "FORWARDED, DROPPED or REJECTED (comma-separated)", value: "VERDICT" },
    namespace: { type: "string", description: "either end in this namespace", value: "NS" },
    workload: { type: "string", description: "either end is this workload", value: "NAME" },
    from: { type: "string", description: "source: ns/workload, workload, host, IP or CIDR", value: "REF" },
    to: { type: "string", description: "destination: ns/workload, workload, host, IP or CIDR", value: "REF" },
    port: { type: "string", description: "either port", value: "N" },
    protocol: { type: "string", description: "tcp, udp, sctp, icmp…", value: "PROTO" },
    policy: { type: "string", description: "decided by this NetworkPolicy (NS/NAME or NAME)", value: "POLICY" },
    type: { type: "string", description: "l7 (HTTP requests through the L7 proxy) or l3_l4", value: "TYPE" },
    "http-method": { type: "string", description: "HTTP requests with this method", value: "METHOD" },
    "http-path": { type: "string", description: "HTTP requests whose path matches this regular expression", value: "RE" },
    "http-status": { type: "string", description: "HTTP status (403) or class (4+, 5xx)", value: "STATUS" },
    dns: { type: "string", description: "DNS queries for this name or names under it (workloads a DNS policy watches)", value: "NAME" },
    last: { type: "string", description: "at most N past records (default 1000; 0: all kept)", value: "N" },
    "all-nodes": { type: "boolean", description: "every Ready node's records, merged by time, with the node's name (cluster mode)" },
    ...OUTPUT_OPTION,
  },
  async run({ client, args, format }) {
    const v = args.values;
    const q = new URLSearchParams();
    for (const k of FILTERS) if (v[k] !== undefined) q.set(k, String(v[k]));
    for (const [k, name] of Object.entries(HTTP_FILTERS)) if (v[k] !== undefined) q.set(name, String(v[k]));
    if (v.last !== undefined) q.set("limit", String(v.last));
    if (v["all-nodes"] && v.follow) {
      q.set("follow", "1");
      if (format === "json") return client.stream(`/v1/cluster/flows?${q}`, process.stdout);
      const f = nodeFormatter();
      f.pipe(process.stdout);
      return client.stream(`/v1/cluster/flows?${q}`, f);
    }
    if (v["all-nodes"]) {
      const r = await client.request<{ flows: (FlowRecord & { node: string })[]; unreachable: { node: string; error: string }[] }>("GET", `/v1/cluster/flows?${q}`);
      for (const u of r.unreachable) console.error(`ponton: node ${u.node}: no flows (${u.error})`);
      show(format, r.flows, (rows) => rows.forEach((x) => console.log(`${x.node}  ${flowLine(x)}`)));
      return;
    }
    await warnLost(client);
    if (v.follow) {
      q.set("follow", "1");
      if (format === "json") return client.stream(`/v1/flows?${q}`, process.stdout);
      const f = formatter();
      f.pipe(process.stdout);
      return client.stream(`/v1/flows?${q}`, f);
    }
    const rows = await client.request<FlowRecord[]>("GET", `/v1/flows?${q}`);
    show(format, rows, (r) => r.forEach((x) => console.log(flowLine(x))));
  },
};

interface StatusView {
  allConnections: boolean;
  policyLog: string;
  running?: boolean;
  flowsPerSecond?: number;
  recorded?: number;
  buffer?: { capacity: number; used: number; fill: number };
  lostBatches?: number;
  lostRecords?: number;
  /** Packets the kernel's log rate limits did not log (drops, new connections). */
  rateLimited?: { drop: number; flow: number };
  helperRestarts?: number;
  lastError?: string;
  counters?: { byVerdict: Record<string, number>; byReason: Record<string, number> };
}

/** Records the kernel logged that never reached pontond, and how often its socket overflowed. */
const lostText = (s: StatusView) => `${s.lostRecords ?? 0}${s.lostBatches ? ` (${s.lostBatches} overflows)` : ""}${rateLimited(s) ? ` + ${rateLimited(s)} over the log rate limit` : ""}`;

const rateLimited = (s: StatusView) => (s.rateLimited?.drop ?? 0) + (s.rateLimited?.flow ?? 0);

/** Said on stderr beside records, so a reader knows the list has gaps. */
async function warnLost(client: CommandContext["client"]): Promise<void> {
  const s = await client.request<StatusView>("GET", "/v1/flows/status").catch(() => undefined);
  if (s?.lostRecords) console.error(`ponton: ${s.lostRecords} flow records lost since pontond started (the kernel could not hand them over fast enough; see ponton flows status)`);
  if (s && rateLimited(s)) console.error(`ponton: ${rateLimited(s)} packets not logged since pontond started, over the kernel's log rate limit (${s.rateLimited!.drop} drops, ${s.rateLimited!.flow} new connections; see ponton flows status)`);
}

export const flowsCommands: Record<string, Command> = {
  status: {
    usage: "ponton flows status [-o json]",
    summary: "Flow collector state: flows/s, ring-buffer fill, records by verdict and drop reason.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const s = await client.request<StatusView>("GET", "/v1/flows/status");
      show(format, s, () => {
        console.log(`new connections: ${s.allConnections ? "every one" : "only those a policy's ponton.dev/log selects (pontond --flow-log off)"}; drops: always; policy log: ${s.policyLog}`);
        const b = s.buffer!;
        printTable(
          ["COLLECTOR", "FLOWS/S", "RECORDED", "BUFFER", "LOST", "RESTARTS"],
          [[s.running ? "running" : `down${s.lastError ? `: ${s.lastError}` : ""}`, s.flowsPerSecond!.toFixed(1), String(s.recorded), `${b.used}/${b.capacity} (${Math.round(b.fill * 100)}%)`, lostText(s), String(s.helperRestarts)]],
        );
        const counts = [...Object.entries(s.counters!.byVerdict), ...Object.entries(s.counters!.byReason).map(([k, n]) => [`  ${k}`, n] as const)];
        if (counts.length) printTable(["VERDICT / DROP REASON", "COUNT"], counts.map(([k, n]) => [k, String(n)]));
      });
    },
  },
};
