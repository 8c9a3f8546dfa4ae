// ponton lb-pool apply|ls|rm: LoadBalancer IP pools (CiliumLoadBalancerIPPool manifests as written).
import { readFileSync } from "node:fs";
import { EngineError } from "../../errors";
import { OUTPUT_OPTION, type Command } from "../command";
import { printTable, show } from "../output";

interface PoolView {
  name: string;
  blocks: { text: string }[];
  serviceSelector?: { matchLabels: Record<string, string>; matchExpressions: { key: string; operator: string; values: string[] }[] };
  disabled: boolean;
  size: string;
  used: number;
  selects: string[];
}

const selectorText = (s: PoolView["serviceSelector"]) =>
  !s
    ? "<all>"
    : [...Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`), ...s.matchExpressions.map((e) => `${e.key} ${e.operator}${e.values.length ? ` (${e.values.join(",")})` : ""}`)].join(",") || "<all>";

export const lbPoolCommands: Record<string, Command> = {
  apply: {
    usage: "ponton lb-pool apply -f FILE",
    summary: "Apply CiliumLoadBalancerIPPool manifests (cilium.io/v2alpha1 or v2): created or replaced, LoadBalancer services re-evaluated, all or nothing.",
    options: { filename: { type: "string", short: "f", description: "YAML or JSON file ('-' for stdin)", value: "FILE" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const file = args.values.filename as string | undefined;
      if (!file) throw new EngineError("INVALID_ARGUMENT", "give the file: ponton lb-pool apply -f FILE");
      let yaml: string;
      try {
        yaml = readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (e) {
        throw new EngineError("NOT_FOUND", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
      }
      const out = await client.request<{ created: string[]; configured: string[] }>("POST", "/v1/lb-pools/apply", { yaml });
      show(format, out, (o) => {
        o.created.forEach((k) => console.log(`lb-pool ${k} created`));
        o.configured.forEach((k) => console.log(`lb-pool ${k} configured`));
      });
    },
  },
  ls: {
    usage: "ponton lb-pool ls [-o json]",
    summary: "List pools: blocks, service selector, disabled, addresses in use of all, the services they select.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const all = await client.request<PoolView[]>("GET", "/v1/lb-pools");
      show(format, all, (ps) =>
        printTable(
          ["NAME", "DISABLED", "BLOCKS", "SERVICE SELECTOR", "IPS USED", "SERVICES"],
          ps.map((p) => [p.name, String(p.disabled), p.blocks.map((b) => b.text).join(","), selectorText(p.serviceSelector), `${p.used}/${p.size}`, p.selects.join(",")]),
        ),
      );
    },
  },
  rm: {
    usage: "ponton lb-pool rm NAME... [-f]",
    summary: "Remove pools; services holding their addresses move to another matching pool or become <pending>. -f: succeed when already gone.",
    options: { force: { type: "boolean", short: "f", description: "no error if the pool does not exist" } },
    async run({ client, args }) {
      for (const name of args.positionals) {
        await client.request("DELETE", `/v1/lb-pools/${encodeURIComponent(name)}${args.values.force ? "?missingOk=1" : ""}`);
        console.log(name);
      }
    },
  },
};
