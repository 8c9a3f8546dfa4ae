import { EngineError } from "../../errors";
import { OUTPUT_OPTION, type Command } from "../command";
import { printJson, printTable, show } from "../output";

interface View {
  network: string;
  records: { name: string; type: string; ttl: number; data: unknown }[];
}

export const dnsCommands: Record<string, Command> = {
  records: {
    usage: "ponton dns records [--network NET] [-o json]",
    summary: "What the embedded DNS answers, per network (a name is visible on its own network only).",
    options: { network: { type: "string", description: "only this network", value: "NET" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const q = args.values.network ? `?network=${encodeURIComponent(String(args.values.network))}` : "";
      const views = await client.request<View[]>("GET", `/v1/dns/records${q}`);
      show(format, views, (vs) =>
        printTable(["NETWORK", "NAME", "TYPE", "TTL", "DATA"], vs.flatMap((v) => v.records.map((r) => [v.network, r.name, r.type, r.ttl, typeof r.data === "string" ? r.data : JSON.stringify(r.data)]))),
      );
    },
  },
  query: {
    usage: "ponton dns query NAME --from WORKLOAD [--type A]",
    summary: "Explain the answer a workload would get: which record and network, or where it would be forwarded.",
    options: {
      from: { type: "string", description: "the asking workload", value: "WORKLOAD" },
      type: { type: "string", description: "record type (default A)", value: "TYPE" },
      ...OUTPUT_OPTION,
    },
    async run({ client, args, format }) {
      const [name] = args.positionals;
      if (!name || !args.values.from) throw new EngineError("INVALID_ARGUMENT", "usage: ponton dns query NAME --from WORKLOAD");
      const q = new URLSearchParams({ name, type: String(args.values.type ?? "A"), from: String(args.values.from) });
      const r = await client.request<{ summary: string }>("GET", `/v1/dns/query?${q}`);
      if (format === "json") printJson(r);
      else console.log(r.summary);
    },
  },
};
