// ponton observe: recent policy drops, read from the kernel's drop sets and named by policy.
// A first step, not hubble: no allowed flows, no --follow; see src/engine/policy-drops.ts.
import { EngineError } from "../../errors";
import { OUTPUT_OPTION, type Command } from "../command";
import { printTable, show } from "../output";

interface DropView {
  verdict: string;
  lastSeenSecondsAgo?: number;
  source: { ip: string; workload?: string; namespace?: string };
  destination: { ip: string; port: number; workload?: string; namespace?: string };
  protocol: string;
  direction?: string;
  id: number;
  reason: string;
  policies: string[];
}

const who = (e: { ip: string; workload?: string; namespace?: string }) => (e.workload ? `${e.namespace}/${e.workload}` : e.ip);

export const observeCommand: Command = {
  usage: "ponton observe [--verdict DROPPED] [--namespace NS] [--workload NAME] [--port N] [-o json]",
  summary: "Recent policy drops (last 120 s, one line per source/destination/protocol/port) with the policies that decided them.",
  options: {
    verdict: { type: "string", description: "only DROPPED is recorded so far", value: "VERDICT" },
    namespace: { type: "string", description: "either end in this namespace", value: "NS" },
    workload: { type: "string", description: "either end is this workload", value: "NAME" },
    port: { type: "string", description: "destination port", value: "N" },
    follow: { type: "boolean", short: "f", description: "not supported yet (needs the NFLOG collector)" },
    ...OUTPUT_OPTION,
  },
  async run({ client, args, format }) {
    const v = args.values;
    if (v.follow) throw new EngineError("UNSUPPORTED", "--follow needs the NFLOG/conntrack flow collector, not built yet");
    const q = new URLSearchParams();
    for (const k of ["verdict", "namespace", "workload", "port"]) if (v[k] !== undefined) q.set(k, String(v[k]));
    const rows = await client.request<DropView[]>("GET", `/v1/observe?${q}`);
    show(format, rows, (r) =>
      printTable(
        ["AGO", "SOURCE", "DESTINATION", "PROTO", "VERDICT", "DIRECTION", "POLICIES"],
        r.map((d) => [d.lastSeenSecondsAgo !== undefined ? `${d.lastSeenSecondsAgo}s` : "", who(d.source), `${who(d.destination)}:${d.destination.port}`, d.protocol, d.verdict, d.direction, d.policies.join(",") || `id ${d.id}`]),
      ),
    );
  },
};
