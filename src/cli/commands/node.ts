import { EngineError } from "../../errors";
import { OUTPUT_OPTION, type Command } from "../command";
import { printJson, printTable, show } from "../output";

/** A node as `GET /v1/nodes` answers it. */
export interface NodeRow {
  name: string;
  address: string;
  status: string;
  heartbeat: string;
  workloads: number;
  blocks: string[];
}

/** "3s ago" from an ISO time, as kubectl shows ages. */
function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export const nodeCommands: Record<string, Command> = {
  ls: {
    usage: "ponton node ls [-o json]",
    summary: "Every node of the cluster: address, pod blocks, Ready/NotReady (its lease lives or not), last heartbeat, workloads.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const nodes = await client.request<NodeRow[]>("GET", "/v1/nodes");
      show(format, nodes, (ns) => printTable(["NAME", "ADDRESS", "POD RANGE", "STATUS", "HEARTBEAT", "WORKLOADS"], ns.map((n) => [n.name, n.address, n.blocks.join(",") || "-", n.status, ago(n.heartbeat), n.workloads])));
    },
  },
  tunnels: {
    usage: "ponton node tunnels [-o json]",
    summary: "The overlay's tunnel list: each remote pod block and the node address its packets are sent to (VXLAN; with native routing, the route's next hop, no VTEP).",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const ts = await client.request<{ block: string; network: string; node: string; address: string; vtep: string; mac: string }[]>("GET", "/v1/tunnels");
      show(format, ts, (rows) => printTable(["PREFIX", "TUNNEL", "NODE", "NETWORK", "VTEP", "MAC"], rows.map((t) => [t.block, t.address, t.node, t.network, t.vtep || "-", t.mac || "-"])));
    },
  },
  rm: {
    usage: "ponton node rm NAME",
    summary: "Forget a NotReady node: its record and the pod blocks it held (a Ready node is refused).",
    options: { ...OUTPUT_OPTION },
    async run({ client, format, args }) {
      const name = args.positionals[0];
      if (!name) throw new EngineError("INVALID_ARGUMENT", "give the node: ponton node rm NAME");
      const r = await client.request<{ removed: string; blocks: number }>("DELETE", `/v1/nodes/${encodeURIComponent(name)}`);
      if (format === "json") printJson(r);
      else console.log(`${r.removed} (${r.blocks} pod block${r.blocks === 1 ? "" : "s"} freed)`);
    },
  },
};
