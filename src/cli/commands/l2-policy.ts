// ponton l2-policy apply|ls|rm|status: CiliumL2AnnouncementPolicy manifests as written, and what this
// host's ARP/NDP responder (bin/ponton-l2, run by pontond) answers for.
import { readFileSync } from "node:fs";
import { EngineError } from "../../errors";
import { OUTPUT_OPTION, type Command } from "../command";
import { printTable, show } from "../output";

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface PolicyView {
  name: string;
  serviceSelector?: Selector;
  nodeSelector?: Selector;
  interfaces: string[];
  loadBalancerIPs: boolean;
  externalIPs: boolean;
}
interface Status {
  code: string;
  message: string;
  restarts: number;
  pid?: number;
  interfaces: { name: string; addresses: string[] }[];
  missing: string[];
  announcements: number;
}

const selectorText = (s: Selector | undefined) =>
  s ? [...Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`), ...(s.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} ${(e.values ?? []).join("|")}`)].join(",") || "<all>" : "<all>";

export const l2PolicyCommands: Record<string, Command> = {
  apply: {
    usage: "ponton l2-policy apply -f FILE",
    summary: "Apply CiliumL2AnnouncementPolicy manifests (cilium.io/v2alpha1): created or replaced; the ARP/NDP responder follows.",
    options: { filename: { type: "string", short: "f", description: "YAML or JSON file ('-' for stdin)", value: "FILE" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const file = args.values.filename as string | undefined;
      if (!file) throw new EngineError("INVALID_ARGUMENT", "give the file: ponton l2-policy apply -f FILE");
      let yaml: string;
      try {
        yaml = readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (e) {
        throw new EngineError("NOT_FOUND", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
      }
      const out = await client.request<{ created: string[]; configured: string[] }>("POST", "/v1/l2/policies/apply", { yaml });
      show(format, out, (o) => {
        o.created.forEach((k) => console.log(`l2-policy ${k} created`));
        o.configured.forEach((k) => console.log(`l2-policy ${k} configured`));
      });
    },
  },
  ls: {
    usage: "ponton l2-policy ls [-o json]",
    summary: "List L2 announcement policies: selectors, interfaces, which addresses they announce.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const all = await client.request<PolicyView[]>("GET", "/v1/l2/policies");
      show(format, all, (ps) =>
        printTable(
          ["NAME", "SERVICE SELECTOR", "NODE SELECTOR", "INTERFACES", "ANNOUNCES"],
          ps.map((p) => [p.name, selectorText(p.serviceSelector), selectorText(p.nodeSelector), p.interfaces.join(",") || "<all>", [p.loadBalancerIPs ? "loadBalancerIPs" : "", p.externalIPs ? "externalIPs" : ""].filter(Boolean).join(",") || "nothing"]),
        ),
      );
    },
  },
  rm: {
    usage: "ponton l2-policy rm NAME... [-f]",
    summary: "Remove L2 announcement policies (their addresses stop being answered). -f: succeed when already gone.",
    options: { force: { type: "boolean", short: "f", description: "no error if the policy does not exist" } },
    async run({ client, args }) {
      for (const name of args.positionals) {
        await client.request("DELETE", `/v1/l2/policies/${encodeURIComponent(name)}${args.values.force ? "?missingOk=1" : ""}`);
        console.log(name);
      }
    },
  },
  status: {
    usage: "ponton l2-policy status [-o json]",
    summary: "The responder's state (ANNOUNCING, IDLE, HELPER_MISSING, HELPER_DIED) and each interface with the addresses it answers ARP/NDP for.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const s = await client.request<Status>("GET", "/v1/l2/status");
      show(format, s, () => {
        console.log(`responder: ${s.code}: ${s.message}${s.restarts ? ` (restarted ${s.restarts} times)` : ""}`);
        if (s.missing.length) console.log(`interfaces missing (no such link, or no MAC): ${s.missing.join(", ")}`);
        if (s.interfaces.length) printTable(["INTERFACE", "ADDRESSES"], s.interfaces.map((i) => [i.name, i.addresses.join(",")]));
      });
    },
  },
};
