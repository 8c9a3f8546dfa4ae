import { EngineError } from "../../errors";
import { parseLabelArgs } from "../../model/names";
import { list, OUTPUT_OPTION, type Command } from "../command";
import { printTable, show } from "../output";

interface NetworkView {
  name: string;
  driver: string;
  bridge: string;
  subnet4?: string;
  gateway4?: string;
  subnet6?: string;
  internal: boolean;
  hostAccess?: boolean;
  icc: boolean;
  parent?: string;
  mode?: string;
  mtu?: number;
  gatewayMode?: string;
  defaultRoute?: boolean;
  workloads: { name: string; ip4?: string; ip6?: string }[];
  /** Set by create when the network works but something of it does not (its DNS port is taken). */
  warnings?: { code: string; message: string }[];
}

/** A whole number as the API wants it; the daemon checks its range. */
/** KEY=VALUE pairs (Docker's `-o`); a key given twice with two values is refused. */
function keyValues(items: string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf("=");
    if (at <= 0) throw new EngineError("INVALID_ARGUMENT", `${option} '${item}' is not KEY=VALUE`);
    const [key, value] = [item.slice(0, at), item.slice(at + 1)];
    if (out[key] !== undefined && out[key] !== value) throw new EngineError("INVALID_ARGUMENT", `${option} ${key} is given twice with different values`);
    out[key] = value;
  }
  return out;
}

function integer(value: unknown, option: string): number {
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new EngineError("INVALID_ARGUMENT", `${option} ${text} is not a whole number`);
  return Number(text);
}

export const networkCommands: Record<string, Command> = {
  create: {
    usage: "ponton network create NAME [options]",
    summary:
      "Create a network: a bridge (default; without --subnet a free /24 comes from the default pool, skipping routed prefixes), routed (no bridge: a veth and a host route per workload, no 1,023-workload limit), or macvlan/ipvlan on --parent IF (or IF.VLAN), where workloads sit on the parent's segment. See docs/networks.md.",
    options: {
      driver: { type: "string", short: "d", description: "bridge (default), routed, macvlan or ipvlan", value: "DRIVER" },
      parent: { type: "string", description: "macvlan/ipvlan: host interface on the segment; IF.ID makes an 802.1Q VLAN", value: "IF" },
      mode: { type: "string", description: "macvlan: bridge|private|vepa|passthru (default bridge); ipvlan: l2|l3 (default l2)", value: "MODE" },
      mtu: { type: "string", description: "MTU of the bridge, veths and workload interfaces (default: the uplink's, or the parent's)", value: "N" },
      "gateway-mode": { type: "string", description: "nat (default) or routed: no masquerade, published container ports reachable at the workload's address", value: "MODE" },
      "default-route-metric": { type: "string", description: "metric of the default route workloads get from this network (lowest wins)", value: "N" },
      "no-default-route": { type: "boolean", description: "workloads get no default route from this network" },
      subnet: { type: "string", description: "IPv4 or IPv6 subnet, e.g. 172.20.0.0/16", value: "CIDR" },
      gateway: { type: "string", description: "gateway address (default: first address)", value: "IP" },
      ipv6: { type: "boolean", description: "add an IPv6 subnet (from the IPv6 pool unless --subnet6)" },
      subnet6: { type: "string", description: "IPv6 subnet, e.g. fd00:1::/64", value: "CIDR" },
      gateway6: { type: "string", description: "IPv6 gateway", value: "IP" },
      internal: { type: "boolean", description: "no route out of the host, no NAT (and --no-host-access unless --host-access)" },
      "no-host-access": { type: "boolean", description: "workloads reach nothing on this host but DNS on the gateway and published ports" },
      "host-access": { type: "boolean", description: "workloads reach this host's own services (the default, except for --internal)" },
      "no-icc": { type: "boolean", description: "forbid traffic between workloads of this network" },
      "no-masquerade": { type: "boolean", description: "no egress NAT for traffic leaving the host" },
      "route-to": { type: "string", multiple: true, description: "allow routed traffic (no NAT) with this network", value: "NETWORK" },
      label: { type: "string", multiple: true, description: "label key=value", value: "K=V" },
      dns: { type: "string", multiple: true, description: "DNS server its workloads' other names are forwarded to (default: the host's)", value: "IP" },
      opt: { type: "string", multiple: true, description: "Docker driver option (also -o KEY=VALUE), mapped to the settings above (docs/networks.md)", value: "KEY=VALUE" },
      scope: { type: "string", description: "local (default) or cluster: one range for every node, a block per node, joined by the overlay", value: "SCOPE" },
      "node-mask": { type: "string", description: "with --scope cluster: prefix length of each node's block (default 24)", value: "N" },
      "node-mask6": { type: "string", description: "with --scope cluster --subnet6: prefix length of each node's IPv6 block (default 64)", value: "N" },
      ...OUTPUT_OPTION,
    },
    async run({ client, args, format }) {
      const [name] = args.positionals;
      const v = args.values;
      if (v["no-host-access"] && v["host-access"]) throw new EngineError("INVALID_ARGUMENT", "--host-access and --no-host-access contradict each other");
      if (v.scope !== undefined && v.scope !== "local" && v.scope !== "cluster") throw new EngineError("INVALID_ARGUMENT", `--scope is local or cluster, not '${String(v.scope)}'`);
      for (const f of ["node-mask", "node-mask6"] as const) if (v.scope !== "cluster" && v[f] !== undefined) throw new EngineError("INVALID_ARGUMENT", `--${f} needs --scope cluster`);
      if (v.scope === "cluster") {
        const body = {
          name,
          ...(v.subnet !== undefined ? { subnet: v.subnet } : {}),
          ...(v["node-mask"] !== undefined ? { nodeMask: Number(v["node-mask"]) } : {}),
          ...(v.ipv6 ? { ipv6: true } : {}),
          ...(v.subnet6 !== undefined ? { subnet6: v.subnet6 } : {}),
          ...(v["node-mask6"] !== undefined ? { nodeMask6: Number(v["node-mask6"]) } : {}),
        };
        const n = await client.request<{ name: string }>("POST", "/v1/cluster/networks", body);
        show(format, n, () => console.log(n.name));
        return;
      }
      const body = {
        name,
        ...(v.subnet ? { subnet: v.subnet } : {}),
        ...(v.gateway ? { gateway: v.gateway } : {}),
        ...(v.ipv6 ? { ipv6: true } : {}),
        ...(v.subnet6 ? { subnet6: v.subnet6 } : {}),
        ...(v.gateway6 ? { gateway6: v.gateway6 } : {}),
        internal: Boolean(v.internal),
        ...(v["no-host-access"] ? { hostAccess: false } : v["host-access"] ? { hostAccess: true } : {}),
        ...(v["no-icc"] ? { icc: false } : {}),
        ...(v["no-masquerade"] ? { masquerade: false } : {}),
        routesTo: list(v["route-to"]),
        labels: parseLabelArgs(list(v.label)),
        ...(v.driver ? { driver: v.driver } : {}),
        ...(v.parent ? { parent: v.parent } : {}),
        ...(v.mode ? { mode: v.mode } : {}),
        ...(v.mtu !== undefined ? { mtu: integer(v.mtu, "--mtu") } : {}),
        ...(v["gateway-mode"] ? { gatewayMode: v["gateway-mode"] } : {}),
        ...(v["default-route-metric"] !== undefined ? { defaultRouteMetric: integer(v["default-route-metric"], "--default-route-metric") } : {}),
        ...(v["no-default-route"] ? { defaultRoute: false } : {}),
        ...(list(v.dns).length ? { dns: list(v.dns) } : {}),
        ...(list(v.opt).length ? { options: keyValues(list(v.opt), "--opt") } : {}),
      };
      const n = await client.request<NetworkView>("POST", "/v1/networks", body);
      for (const w of n.warnings ?? []) console.error(`warning: ${w.code}: ${w.message}`);
      show(format, n, () => console.log(n.name));
    },
  },
  update: {
    usage: "ponton network update NAME --dns IP [--dns IP]... | --no-dns",
    summary: "Change a network's upstream DNS servers, live: its workloads' next forwarded query goes there (--no-dns: back to the host's).",
    options: {
      dns: { type: "string", multiple: true, description: "DNS server its workloads' other names are forwarded to", value: "IP" },
      "no-dns": { type: "boolean", description: "forward to the host's resolvers again" },
      ...OUTPUT_OPTION,
    },
    async run({ client, args, format }) {
      const [name] = args.positionals;
      const servers = list(args.values.dns);
      if (!name || (!servers.length && !args.values["no-dns"])) throw new EngineError("INVALID_ARGUMENT", "network update needs a NAME and --dns IP or --no-dns");
      const n = await client.request<NetworkView>("POST", `/v1/networks/${encodeURIComponent(name)}/dns`, { servers });
      show(format, n, () => console.log(n.name));
    },
  },
  ls: {
    usage: "ponton network ls [-o json]",
    summary: "List networks.",
    options: { ...OUTPUT_OPTION },
    async run({ client, format }) {
      const nets = await client.request<NetworkView[]>("GET", "/v1/networks");
      show(format, nets, (ns) =>
        printTable(
          ["NAME", "DRIVER", "BRIDGE/PARENT", "SUBNET", "GATEWAY", "IPV6", "MTU", "FLAGS", "WORKLOADS"],
          ns.map((n) => [
            n.name,
            n.mode ? `${n.driver}/${n.mode}` : n.driver,
            n.bridge || n.parent || (n.driver === "routed" ? "-" : ""),
            n.subnet4,
            n.gateway4,
            n.subnet6,
            n.mtu,
            [n.internal ? "internal" : "", n.hostAccess === false ? "no-host-access" : "", n.icc ? "" : "no-icc", n.gatewayMode === "routed" ? "routed" : "", n.defaultRoute === false ? "no-default-route" : ""].filter(Boolean).join(","),
            n.workloads.length,
          ]),
        ),
      );
    },
  },
  inspect: {
    usage: "ponton network inspect NAME...",
    summary: "Show networks as JSON.",
    options: { ...OUTPUT_OPTION },
    async run({ client, args }) {
      const out = [];
      for (const name of args.positionals) out.push(await client.request("GET", `/v1/networks/${encodeURIComponent(name)}`));
      console.log(JSON.stringify(out, null, 2));
    },
  },
  rm: {
    usage: "ponton network rm NAME... [-f]",
    summary: "Remove networks (they must have no workloads). -f: succeed when already gone.",
    options: { force: { type: "boolean", short: "f", description: "no error if the network does not exist" } },
    async run({ client, args }) {
      for (const name of args.positionals) {
        await client.request("DELETE", `/v1/networks/${encodeURIComponent(name)}${args.values.force ? "?missingOk=1" : ""}`);
        console.log(name);
      }
    },
  },
  connect: {
    usage: "ponton network connect NETWORK WORKLOAD [--ip IP] [--ip6 IP] [--alias NAME]...",
    summary: "Attach a running workload to another network.",
    options: {
      ip: { type: "string", description: "static IPv4 address", value: "IP" },
      ip6: { type: "string", description: "static IPv6 address", value: "IP" },
      alias: { type: "string", multiple: true, description: "another DNS name of the workload, on this network only", value: "NAME" },
    },
    async run({ client, args }) {
      const [network, workload] = args.positionals;
      const aliases = list(args.values.alias);
      await client.request("POST", `/v1/networks/${encodeURIComponent(network!)}/connect`, {
        workload,
        ...(args.values.ip ? { ip: args.values.ip } : {}),
        ...(args.values.ip6 ? { ip6: args.values.ip6 } : {}),
        ...(aliases.length ? { aliases } : {}),
      });
    },
  },
  disconnect: {
    usage: "ponton network disconnect NETWORK WORKLOAD",
    summary: "Detach a workload from a network.",
    options: {},
    async run({ client, args }) {
      const [network, workload] = args.positionals;
      await client.request("POST", `/v1/networks/${encodeURIComponent(network!)}/disconnect`, { workload });
    },
  },
};
