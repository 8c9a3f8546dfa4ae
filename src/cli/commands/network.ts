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
  icc: boolean;
  workloads: { name: string; ip4?: string; ip6?: string }[];
}

export const networkCommands: Record<string, Command> = {
  create: {
    usage: "ponton network create NAME [options]",
    summary: "Create a bridge network. Without --subnet, a free /24 is taken from the default pool (skipping routed prefixes).",
    options: {
      subnet: { type: "string", description: "IPv4 or IPv6 subnet, e.g. 172.20.0.0/16", value: "CIDR" },
      gateway: { type: "string", description: "gateway address (default: first address)", value: "IP" },
      ipv6: { type: "boolean", description: "add an IPv6 subnet (from the IPv6 pool unless --subnet6)" },
      subnet6: { type: "string", description: "IPv6 subnet, e.g. fd00:1::/64", value: "CIDR" },
      gateway6: { type: "string", description: "IPv6 gateway", value: "IP" },
      internal: { type: "boolean", description: "no route out of the host, no NAT" },
      "no-icc": { type: "boolean", description: "forbid traffic between workloads of this network" },
      "no-masquerade": { type: "boolean", description: "no egress NAT for traffic leaving the host" },
      "route-to": { type: "string", multiple: true, description: "allow routed traffic (no NAT) with this network", value: "NETWORK" },
      label: { type: "string", multiple: true, description: "label key=value", value: "K=V" },
      dns: { type: "string", multiple: true, description: "DNS server its workloads' other names are forwarded to (default: the host's)", value: "IP" },
      ...OUTPUT_OPTION,
    },
    async run({ client, args, format }) {
      const [name] = args.positionals;
      const v = args.values;
      const body = {
        name,
        ...(v.subnet ? { subnet: v.subnet } : {}),
        ...(v.gateway ? { gateway: v.gateway } : {}),
        ...(v.ipv6 ? { ipv6: true } : {}),
        ...(v.subnet6 ? { subnet6: v.subnet6 } : {}),
        ...(v.gateway6 ? { gateway6: v.gateway6 } : {}),
        internal: Boolean(v.internal),
        icc: !v["no-icc"],
        ...(v["no-masquerade"] ? { masquerade: false } : {}),
        routesTo: list(v["route-to"]),
        labels: parseLabelArgs(list(v.label)),
        ...(list(v.dns).length ? { dns: list(v.dns) } : {}),
      };
      const n = await client.request<NetworkView>("POST", "/v1/networks", body);
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
          ["NAME", "DRIVER", "BRIDGE", "SUBNET", "GATEWAY", "IPV6", "FLAGS", "WORKLOADS"],
          ns.map((n) => [n.name, n.driver, n.bridge, n.subnet4, n.gateway4, n.subnet6, [n.internal ? "internal" : "", n.icc ? "" : "no-icc"].filter(Boolean).join(","), n.workloads.length]),
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
