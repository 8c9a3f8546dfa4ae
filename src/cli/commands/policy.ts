// ponton policy apply|ls|rm|explain: Kubernetes NetworkPolicy (networking.k8s.io/v1), Cilium
// (cilium.io/v2 CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy) and the admin tiers
// (policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy, BaselineAdminNetworkPolicy) YAML, unchanged.
import { readFileSync } from "node:fs";
import { EngineError } from "../../errors";
import { NAMESPACE_OPTION, OUTPUT_OPTION, refs, type Command } from "../command";
import { printTable, show } from "../output";

interface PolicyView {
  kind?: string;
  name: string;
  namespace: string;
  podSelector: { matchLabels: Record<string, string>; matchExpressions: { key: string; operator: string; values: string[] }[] };
  policyTypes: string[];
  ingressRules: number;
  egressRules: number;
  tier?: "admin" | "networkPolicy" | "baseline";
  priority?: number;
  project?: string;
}

interface RuleView {
  policy: string;
  direction: string;
  ruleIndex: number;
  action?: string;
  name?: string;
}

interface DirectionView {
  tier?: "admin" | "networkPolicy" | "baseline" | "none";
  decidedBy?: RuleView;
  passedBy?: RuleView;
  isolated: boolean;
  allowed: boolean;
  allowedBy: { policy: string; direction: string; ruleIndex: number }[];
  isolatedBy: string[];
  deniedBy?: { policy: string; direction: string; ruleIndex: number }[];
}

interface ExplainView {
  allowed: boolean;
  from: { ip: string; workload?: string };
  to: { ip: string; workload?: string };
  egress: DirectionView;
  ingress: DirectionView;
  ids: { egress?: number; ingress?: number };
  /** The connection is admitted by an address a toFQDNs answer opened. */
  fqdn?: { names: string[]; expiresInSeconds: number; learnedBeforeRestart: boolean };
}

interface DnsExplainView {
  name: string;
  from: { ip: string; workload?: string };
  resolves: boolean;
  policed: boolean;
  ref?: { policy: string; direction: string; ruleIndex: number };
  match?: string;
  toFQDNs?: { rule: { policy: string; direction: string; ruleIndex: number }; ports: string[] | "any" }[];
}

function showDnsExplain(e: DnsExplainView): void {
  const who = e.from.workload ? `${e.from.workload} (${e.from.ip})` : e.from.ip;
  if (!e.policed) console.log(`RESOLVES: ${who} -> ${e.name}: no rules.dns watches this workload`);
  else if (e.resolves) console.log(`RESOLVES: ${who} -> ${e.name}: allowed by ${e.ref!.policy} ${e.ref!.direction}[${e.ref!.ruleIndex}] (${e.match})`);
  else console.log(`REFUSED: ${who} -> ${e.name}: no rules.dns of its policies matches the name`);
  for (const f of e.toFQDNs ?? []) {
    console.log(`  its answers open ${f.rule.policy} ${f.rule.direction}[${f.rule.ruleIndex}] (toFQDNs) on ${f.ports === "any" ? "every port" : f.ports.join(", ")}`);
  }
}

const selectorText = (s: PolicyView["podSelector"]) => {
  const parts = [
    ...Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`),
    ...s.matchExpressions.map((e) => `${e.key} ${e.operator}${e.values.length ? ` (${e.values.join(",")})` : ""}`),
  ];
  return parts.length ? parts.join(",") : "(all pods)";
};

/** How `policy rm` and `explain` name a Cilium policy. */
const KIND_PREFIX: Record<string, string> = { CiliumNetworkPolicy: "cnp:", CiliumClusterwideNetworkPolicy: "ccnp:", AdminNetworkPolicy: "anp:", BaselineAdminNetworkPolicy: "banp:" };

const TIER_TEXT: Record<string, string> = { admin: "AdminNetworkPolicy", networkPolicy: "NetworkPolicy", baseline: "BaselineAdminNetworkPolicy" };

/** `anp:deny-y ingress[0] "no-y" (Deny)`. */
const adminRuleText = (r: RuleView): string => `${r.policy} ${r.direction}[${r.ruleIndex}]${r.name ? ` "${r.name}"` : ""} (${r.action})`;

function directionText(name: string, d: DirectionView, id: number | undefined): string {
  const tag = id !== undefined ? ` [id ${id}]` : "";
  const passed = d.passedBy ? ` — passed on by ${adminRuleText(d.passedBy)}` : "";
  if (d.decidedBy) return `${name}: ${d.allowed ? "allowed" : "DENIED"} by ${TIER_TEXT[d.tier ?? ""] ?? d.tier} ${adminRuleText(d.decidedBy)}${passed}${tag}`;
  if (!d.isolated) return `${name}: allowed (no policy applies to this workload)${passed}`;
  if (passed) return `${directionText(name, { ...d, passedBy: undefined }, id)}${passed}`;
  if (d.deniedBy) return `${name}: DENIED by ${d.deniedBy.map((r) => `${r.policy} ${r.direction}Deny[${r.ruleIndex}]`).join(", ")} (deny wins over allow)${tag}`;
  if (d.allowed) return `${name}: allowed by ${d.allowedBy.map((r) => `${r.policy} ${r.direction}[${r.ruleIndex}]`).join(", ")}${tag}`;
  return `${name}: DENIED — isolated by ${d.isolatedBy.join(", ")} and no rule admits it${tag}`;
}

const TIER_RANK: Record<string, number> = { admin: 0, networkPolicy: 1, baseline: 2 };

/** Listed in evaluation order: admin by priority, then NetworkPolicy and Cilium, then the baseline. */
function tierOrder(rows: PolicyView[]): PolicyView[] {
  return rows.map((p, i) => ({ p, i }))
    .sort((a, b) => (TIER_RANK[a.p.tier ?? "networkPolicy"]! - TIER_RANK[b.p.tier ?? "networkPolicy"]!) || ((a.p.priority ?? 0) - (b.p.priority ?? 0)) || a.i - b.i)
    .map((x) => x.p);
}

export const policyCommands: Record<string, Command> = {
  apply: {
    usage: "ponton policy apply -f FILE",
    summary: "Apply NetworkPolicy, CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy YAML (documents or Lists); same-named policies are replaced. All or nothing.",
    options: { filename: { type: "string", short: "f", description: "YAML file ('-' for stdin)", value: "FILE" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const file = args.values.filename as string | undefined;
      if (!file) throw new EngineError("INVALID_ARGUMENT", "give the file: ponton policy apply -f FILE");
      let yaml: string;
      try {
        yaml = readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (e) {
        throw new EngineError("NOT_FOUND", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
      }
      const out = await client.request<{ applied: string[] }>("POST", "/v1/policies", { yaml });
      show(format, out, (o) => o.applied.forEach((k) => console.log(`networkpolicy ${k} applied`)));
    },
  },
  ls: {
    usage: "ponton policy ls [-o json]",
    summary: "List policies with the tier they are evaluated in (admin by priority, then networkPolicy, then baseline).",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const rows = await client.request<PolicyView[]>("GET", "/v1/policies");
      show(format, rows, (r) =>
        printTable(["TIER", "PRIORITY", "NAMESPACE", "NAME", "POD-SELECTOR", "TYPES", "RULES (IN/EG)", "PROJECT"], tierOrder(r).map((p) => [p.tier ?? "networkPolicy", p.priority, p.namespace || "*", `${KIND_PREFIX[p.kind ?? ""] ?? ""}${p.name}`, p.tier === "admin" || p.tier === "baseline" ? "(subject)" : selectorText(p.podSelector), p.policyTypes.join(",") || "-", `${p.ingressRules}/${p.egressRules}`, p.project])),
      );
    },
  },
  rm: {
    usage: "ponton policy rm [-n NS] NAME|NS/NAME... [-f]",
    summary: "Remove policies (NAME alone means default/NAME; cnp:NAME a CiliumNetworkPolicy, ccnp:NAME a clusterwide one, anp:NAME an AdminNetworkPolicy, banp:default the baseline).",
    options: { ...NAMESPACE_OPTION, force: { type: "boolean", short: "f", description: "no error if the policy does not exist" } },
    async run({ client, args }) {
      for (const ref of refs("policy", args)) {
        const ns = ref.namespace ?? "default";
        await client.request("DELETE", `/v1/policies/${encodeURIComponent(ns)}/${encodeURIComponent(ref.name)}${args.values.force ? "?missingOk=1" : ""}`);
        console.log(`${ns}/${ref.name}`);
      }
    },
  },
  log: {
    usage: "ponton policy log [-f]",
    summary: "The policy log: traffic each policy's ponton.dev/log annotation selects (denied by default; allowed, all, ingress[N], none).",
    options: { follow: { type: "boolean", short: "f", description: "keep printing new lines" } },
    async run({ client, args }) {
      await client.stream(`/v1/policies/log${args.values.follow ? "?follow=1" : ""}`, process.stdout);
    },
  },
  explain: {
    usage: "ponton policy explain --from NS/WORKLOAD|IP (--to NS/WORKLOAD|IP --port 80/tcp | --dns NAME)",
    summary: "Would a new connection be allowed? Names the policies and rules that decide, without sending a packet.",
    options: {
      from: { type: "string", description: "source: namespace/workload, workload, or IP", value: "REF" },
      to: { type: "string", description: "destination: namespace/workload, workload, or IP", value: "REF" },
      port: { type: "string", description: "destination port and protocol (default tcp)", value: "PORT[/PROTO]" },
      dns: { type: "string", description: "instead of --to/--port: may the workload resolve this name (CiliumNetworkPolicy rules.dns), and what its answers open (toFQDNs)", value: "NAME" },
      ...OUTPUT_OPTION,
    },
    async run({ client, args, format }) {
      const v = args.values;
      if (v.dns !== undefined) {
        if (!v.from) throw new EngineError("INVALID_ARGUMENT", "--from is required with --dns");
        const d = await client.request<DnsExplainView>("GET", `/v1/policies/explain?${new URLSearchParams({ from: String(v.from), dns: String(v.dns) })}`);
        return show(format, d, () => showDnsExplain(d));
      }
      if (!v.from || !v.to || !v.port) throw new EngineError("INVALID_ARGUMENT", "--from, --to and --port are required");
      const q = new URLSearchParams({ from: String(v.from), to: String(v.to), port: String(v.port) });
      const e = await client.request<ExplainView>("GET", `/v1/policies/explain?${q}`);
      show(format, e, () => {
        const who = (x: { ip: string; workload?: string }) => (x.workload ? `${x.workload} (${x.ip})` : x.ip);
        console.log(`${e.allowed ? "ALLOWED" : "DENIED"}: ${who(e.from)} -> ${who(e.to)} ${v.port}`);
        console.log(`  ${directionText("egress ", e.egress, e.ids.egress)}`);
        if (e.fqdn) console.log(`           (toFQDNs: ${e.to.ip} answered for ${e.fqdn.names.join(", ") || "a name resolved before pontond restarted"}; allowed for ${e.fqdn.expiresInSeconds} s more)`);
        console.log(`  ${directionText("ingress", e.ingress, e.ids.ingress)}`);
      });
    },
  },
};
