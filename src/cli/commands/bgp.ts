// ponton bgp apply|ls|rm|status: CiliumBGPPeeringPolicy manifests as written, and what this host's
// speaker (FRR's bgpd, run by pontond) reports.
import { readFileSync } from "node:fs";
import { EngineError } from "../../errors";
import { OUTPUT_OPTION, type Command } from "../command";
import { printTable, show } from "../output";

interface Peer {
  remoteAs: number;
  state: string;
  peerUptime: string;
  pfxRcd?: number;
  pfxSnt?: number;
}
interface Status {
  code: string;
  message: string;
  restarts: number;
  pid?: number;
  plan?: { policy: string; localASN: number; prefixes: string[] };
  peers: Record<string, { peers?: Record<string, Peer> } | string>;
}
interface PolicyView {
  name: string;
  virtualRouters: { localASN: number; exportPodCIDR: boolean; neighbors: { peerAddress: string; peerASN: number }[] }[];
}

export const bgpCommands: Record<string, Command> = {
  apply: {
    usage: "ponton bgp apply -f FILE",
    summary: "Apply CiliumBGPPeeringPolicy manifests (cilium.io/v2alpha1): created or replaced; the speaker follows.",
    options: { filename: { type: "string", short: "f", description: "YAML or JSON file ('-' for stdin)", value: "FILE" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const file = args.values.filename as string | undefined;
      if (!file) throw new EngineError("INVALID_ARGUMENT", "give the file: ponton bgp apply -f FILE");
      let yaml: string;
      try {
        yaml = readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (e) {
        throw new EngineError("NOT_FOUND", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
      }
      const out = await client.request<{ created: string[]; configured: string[] }>("POST", "/v1/bgp/policies/apply", { yaml });
      show(format, out, (o) => {
        o.created.forEach((k) => console.log(`bgp policy ${k} created`));
        o.configured.forEach((k) => console.log(`bgp policy ${k} configured`));
      });
    },
  },
  ls: {
    usage: "ponton bgp ls [-o json]",
    summary: "List BGP peering policies: local ASN, peers, exportPodCIDR.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const all = await client.request<PolicyView[]>("GET", "/v1/bgp/policies");
      show(format, all, (ps) =>
        printTable(
          ["NAME", "LOCAL ASN", "PEERS", "EXPORT POD CIDR"],
          ps.map((p) => [p.name, p.virtualRouters.map((v) => v.localASN).join(","), p.virtualRouters.flatMap((v) => v.neighbors.map((n) => `${n.peerAddress} AS${n.peerASN}`)).join(","), p.virtualRouters.map((v) => String(v.exportPodCIDR)).join(",")]),
        ),
      );
    },
  },
  rm: {
    usage: "ponton bgp rm NAME... [-f]",
    summary: "Remove BGP peering policies (the speaker stops when none selects this node). -f: succeed when already gone.",
    options: { force: { type: "boolean", short: "f", description: "no error if the policy does not exist" } },
    async run({ client, args }) {
      for (const name of args.positionals) {
        await client.request("DELETE", `/v1/bgp/policies/${encodeURIComponent(name)}${args.values.force ? "?missingOk=1" : ""}`);
        console.log(name);
      }
    },
  },
  status: {
    usage: "ponton bgp status [-o json]",
    summary: "The speaker's state (RUNNING, NO_POLICY, POLICY_CONFLICT, SPEAKER_MISSING, SPEAKER_DIED), what it announces, and each peer: session state, uptime, prefixes sent and received, read back from bgpd.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const s = await client.request<Status>("GET", "/v1/bgp/status");
      show(format, s, () => {
        console.log(`speaker: ${s.code}: ${s.message}${s.restarts ? ` (restarted ${s.restarts} times)` : ""}`);
        if (s.plan) console.log(`policy ${s.plan.policy}, AS${s.plan.localASN}, announcing: ${s.plan.prefixes.join(", ") || "nothing"}`);
        const rows = Object.entries(s.peers).flatMap(([family, v]) =>
          typeof v === "object" && v.peers ? Object.entries(v.peers).map(([addr, p]) => [addr, family, String(p.remoteAs), p.state, p.peerUptime, String(p.pfxSnt ?? 0), String(p.pfxRcd ?? 0)]) : [],
        );
        if (rows.length) printTable(["PEER", "FAMILY", "AS", "STATE", "UPTIME", "SENT", "RECEIVED"], rows);
      });
    },
  },
};
