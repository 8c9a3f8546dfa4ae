// ponton scale NAME=N…, ponton template ls|rm: replicas of templates made by `ponton run --replicas`.
import { EngineError } from "../../errors";
import { parseScaleArgs } from "../../model/workloads/template";
import { NAMESPACE_OPTION, OUTPUT_OPTION, refs, type Command } from "../command";
import { namespaceQuery } from "../../model/object-ref";
import { labelText, printTable, show } from "../output";

interface TemplateView {
  name: string;
  replicas: number;
  /** Undefined: the owner node did not answer. */
  running?: number;
  /** Cluster: the owner node, the one that runs its replicas. */
  node?: string;
  labels: Record<string, string>;
  namespace: string;
  networks: string[];
  command: string[];
}

interface ScaleResult {
  template: string;
  replicas: number;
  added: string[];
  removed: string[];
}

const changeText = (r: ScaleResult) => [...r.added.map((n) => `+${n}`), ...r.removed.map((n) => `-${n}`)].join(" ") || "unchanged";

export const scaleCommand: Command = {
  usage: "ponton scale NAME=N [NAME=N...]",
  summary: "Set how many replicas of each template run: new ones take the lowest free indexes, surplus ones go highest index first. All arguments are checked before anything changes.",
  options: { ...OUTPUT_OPTION },
  async run({ client, args, format }) {
    const replicas = parseScaleArgs(args.positionals);
    const results = await client.request<ScaleResult[]>("POST", "/v1/scale", { replicas });
    show(format, results, (rs) => rs.forEach((r) => console.log(`${r.template}: ${r.replicas} (${changeText(r)})`)));
  },
};

export const templateCommands: Record<string, Command> = {
  ls: {
    usage: "ponton template ls [-o json]",
    summary: "List templates: replicas wanted and running, labels, networks (in a cluster: every node's, with its owner NODE; ? running: the owner did not answer).",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const rows = await client.request<TemplateView[]>("GET", "/v1/templates");
      const nodes = rows.some((t) => t.node !== undefined);
      show(format, rows, (ts) =>
        printTable(
          [...(nodes ? ["NODE"] : []), "NAME", "REPLICAS", "NAMESPACE", "LABELS", "NETWORKS", "COMMAND"],
          ts.map((t) => [...(nodes ? [t.node ?? ""] : []), t.name, `${t.running ?? "?"}/${t.replicas}`, t.namespace, labelText(t.labels), t.networks.join(","), t.command.join(" ")]),
        ),
      );
    },
  },
  rm: {
    usage: "ponton template rm [-n NS] NAME|NS/NAME... [-f]",
    summary: "Remove templates and all their replicas. -f: succeed when already gone.",
    options: { ...NAMESPACE_OPTION, force: { type: "boolean", short: "f", description: "no error if the template does not exist" } },
    async run({ client, args }) {
      if (args.positionals.length === 0) throw new EngineError("INVALID_ARGUMENT", "a template name is required");
      for (const ref of refs("template", args)) {
        await client.request("DELETE", `/v1/templates/${encodeURIComponent(ref.name)}${namespaceQuery(ref, args.values.force ? { missingOk: "1" } : {})}`);
        console.log(ref.name);
      }
    },
  },
};
