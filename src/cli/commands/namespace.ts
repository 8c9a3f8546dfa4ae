// ponton namespace create|ls|label, and `ponton label WORKLOAD k=v` (top level, like kubectl label).
import { EngineError } from "../../errors";
import { parseLabelArgs } from "../../model/names";
import { list, NAMESPACE_OPTION, OUTPUT_OPTION, type Command } from "../command";
import { namespaceQuery, parseObjectRef } from "../../model/object-ref";
import { labelText, printTable, show } from "../output";
import { labelEditArgs } from "./labels";

interface NamespaceRemoval {
  namespace: string;
  templates: string[];
  workloads: string[];
  services: string[];
  policies: string[];
}

interface NamespaceView {
  name: string;
  labels: Record<string, string>;
  workloads: number;
  policies: number;
}

export const namespaceCommands: Record<string, Command> = {
  create: {
    usage: "ponton namespace create NAME [--label k=v]...",
    summary: "Create a policy namespace (a grouping with labels that NetworkPolicies select; not a Linux netns).",
    options: { label: { type: "string", short: "l", multiple: true, description: "label key=value", value: "K=V" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const [name] = args.positionals;
      if (!name) throw new EngineError("INVALID_ARGUMENT", "a namespace name is required");
      const n = await client.request<NamespaceView>("POST", "/v1/namespaces", { name, labels: parseLabelArgs(list(args.values.label)) });
      show(format, n, () => console.log(n.name));
    },
  },
  ls: {
    usage: "ponton namespace ls [-o json]",
    summary: "List namespaces: created ones and those workloads or policies name.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const rows = await client.request<NamespaceView[]>("GET", "/v1/namespaces");
      show(format, rows, (r) => printTable(["NAME", "WORKLOADS", "POLICIES", "LABELS"], r.map((n) => [n.name, n.workloads, n.policies, labelText(n.labels)])));
    },
  },
  rm: {
    usage: "ponton namespace rm NAME... [--force]",
    summary: "Remove namespaces. One that holds workloads, templates, services or policies is refused unless --force, which removes them with it (as Kubernetes does); 'default' cannot be removed.",
    options: { force: { type: "boolean", short: "f", description: "also remove everything in the namespace" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      if (args.positionals.length === 0) throw new EngineError("INVALID_ARGUMENT", "usage: ponton namespace rm NAME... [--force]");
      const done: NamespaceRemoval[] = [];
      for (const name of args.positionals) {
        done.push(await client.request<NamespaceRemoval>("DELETE", `/v1/namespaces/${encodeURIComponent(name)}${args.values.force ? "?force=1" : ""}`));
      }
      show(format, done, (rows) => {
        for (const r of rows) {
          const removed = [...r.templates.map((n) => `template ${n}`), ...r.workloads.map((n) => `workload ${n}`), ...r.services.map((n) => `service ${n}`), ...r.policies.map((n) => `policy ${n}`)];
          console.log(removed.length ? `${r.namespace} (removed ${removed.join(", ")})` : r.namespace);
        }
      });
    },
  },
  label: {
    usage: "ponton namespace label NAME k=v|k-...",
    summary: "Set (k=v) or remove (k-) labels of a namespace; policies that select namespaces follow at once.",
    options: { ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const [name, ...items] = args.positionals;
      if (!name) throw new EngineError("INVALID_ARGUMENT", "usage: ponton namespace label NAME k=v");
      const n = await client.request<NamespaceView>("POST", `/v1/namespaces/${encodeURIComponent(name)}/labels`, labelEditArgs(items));
      show(format, n, () => console.log(`${n.name} ${labelText(n.labels)}`));
    },
  },
};

export const labelCommand: Command = {
  usage: "ponton label [-n NS] WORKLOAD|NS/WORKLOAD k=v|k-...",
  summary: "Set (k=v) or remove (k-) labels of a running workload; services and policies follow in one transaction.",
  options: { ...NAMESPACE_OPTION, ...OUTPUT_OPTION },
  async run({ client, args, format }) {
    const [name, ...items] = args.positionals;
    if (!name) throw new EngineError("INVALID_ARGUMENT", "usage: ponton label WORKLOAD k=v");
    const ref = parseObjectRef("workload", name, args.values.namespace === undefined ? undefined : String(args.values.namespace));
    const w = await client.request<{ name: string; labels: Record<string, string> }>("POST", `/v1/workloads/${encodeURIComponent(ref.name)}/labels${namespaceQuery(ref)}`, labelEditArgs(items));
    show(format, w, () => console.log(`${w.name} ${labelText(w.labels)}`));
  },
};
