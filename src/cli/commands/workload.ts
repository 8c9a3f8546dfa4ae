import { spawnSync } from "node:child_process";
import { execStream } from "../../client/exec-stream";
import { EngineError } from "../../errors";
import { parseLabelArgs } from "../../model/names";
import { list, NAMESPACE_OPTION, OUTPUT_OPTION, refs, type Command } from "../command";
import { namespaceQuery } from "../../model/object-ref";
import { printTable, show } from "../output";

interface WorkloadView {
  name: string;
  state: string;
  netnsMode: string;
  netns: string;
  netnsName?: string;
  pid?: number;
  exitCode?: number;
  command: string[];
  networks: { network: string; ifname: string; ip4?: string; ip6?: string }[];
  ports: { spec: string }[];
}

function parseKv(items: string[], what: string): Record<string, string> {
  return Object.fromEntries(
    items.map((i) => {
      const eq = i.indexOf("=");
      if (eq <= 0) throw new EngineError("INVALID_ARGUMENT", `invalid ${what} '${i}'`, { hint: `write it as KEY=VALUE` });
      return [i.slice(0, eq), i.slice(eq + 1)];
    }),
  );
}

/** --dns, --dns-search, --dns-option, --dns-policy as the API's dns object (absent when none is given). */
function dnsSettings(v: Record<string, unknown>): { dns?: Record<string, unknown> } {
  const dns = {
    ...(v["dns-policy"] !== undefined ? { policy: v["dns-policy"] } : {}),
    ...(list(v.dns).length ? { nameservers: list(v.dns) } : {}),
    ...(list(v["dns-search"]).length ? { search: list(v["dns-search"]) } : {}),
    ...(list(v["dns-option"]).length ? { options: list(v["dns-option"]) } : {}),
  };
  return Object.keys(dns).length ? { dns } : {};
}

export const workloadCommands: Record<string, Command> = {
  run: {
    usage: "ponton run --name NAME [--replicas N] [--node NODE] [options] [--] [CMD ARGS...]",
    summary:
      "Create a workload: a network namespace with its interfaces, addresses and routes, running CMD (supervised) if given. With --replicas N: a template NAME and N workloads NAME-1…NAME-N made from it (see ponton scale, ponton template).",
    stopAtPositional: 0,
    options: {
      name: { type: "string", description: "workload name (required)", value: "NAME" },
      replicas: { type: "string", description: "store a template NAME and run N replicas of it (each gets $PONTON_REPLICA_NAME)", value: "N" },
      node: { type: "string", description: "cluster: make the workload (with --replicas: the template, owned by that node) on this node (default: the node asked)", value: "NODE" },
      network: { type: "string", multiple: true, description: "network to join (default: bridge; also host, none)", value: "NET" },
      ip: { type: "string", description: "static IPv4 address on the first network", value: "IP" },
      ip6: { type: "string", description: "static IPv6 address on the first network", value: "IP" },
      label: { type: "string", short: "l", multiple: true, description: "label key=value", value: "K=V" },
      namespace: { type: "string", description: "policy namespace (default: default)", value: "NS" },
      alias: { type: "string", multiple: true, description: "another DNS name of the workload on its networks (Docker's --network-alias)", value: "NAME" },
      expose: { type: "string", multiple: true, description: "declare a container port, named for policies (not published)", value: "[NAME=]PORT[/proto]" },
      publish: { type: "string", short: "p", multiple: true, description: "publish [hostIP:][hostPort[-end]:]containerPort[-end][/tcp|udp] (no host port: a free one is picked)", value: "SPEC" },
      "privileged-ranges": { type: "boolean", description: "let a published range include host ports below 1024" },
      "allow-from": { type: "string", multiple: true, description: "only these source prefixes may reach the published ports", value: "CIDR" },
      env: { type: "string", short: "e", multiple: true, description: "environment variable for CMD", value: "K=V" },
      restart: { type: "string", description: "restart policy: no, on-failure, always", value: "POLICY" },
      route: { type: "string", multiple: true, description: "static route inside the workload (VIA a next hop, or blackhole: DST is discarded)", value: "DST=VIA" },
      netns: { type: "string", description: "attach an existing network namespace instead of creating one", value: "PATH" },
      hostname: { type: "string", description: "hostname CMD runs with, in its own UTS namespace (default: NAME)", value: "NAME" },
      dns: { type: "string", multiple: true, description: "DNS server the embedded DNS forwards its other names to (with --dns-policy Default or None: a resolv.conf nameserver)", value: "IP" },
      "dns-search": { type: "string", multiple: true, description: "search domain added to its resolv.conf", value: "DOMAIN" },
      "dns-option": { type: "string", multiple: true, description: "resolv.conf option (ndots:2, edns0, …), replacing ours of that name", value: "OPT" },
      "dns-policy": { type: "string", description: "ClusterFirst (default: the embedded DNS), Default (the host's resolvers) or None (only --dns…)", value: "POLICY" },
      "add-host": { type: "string", multiple: true, description: "a line of its /etc/hosts", value: "NAME:IP" },
      detach: { type: "boolean", short: "d", description: "accepted for Docker habits; workloads always run detached" },
      ...OUTPUT_OPTION,
    },
    async run({ client, args, format }) {
      const v = args.values;
      if (!v.name) throw new EngineError("INVALID_ARGUMENT", "--name is required");
      const networks = list(v.network);
      const first = networks[0] ?? "bridge";
      const body = {
        name: v.name,
        networks: (networks.length ? networks : [first]).map((n, i) => ({ network: n, ...(i === 0 && v.ip ? { ip: v.ip } : {}), ...(i === 0 && v.ip6 ? { ip6: v.ip6 } : {}) })),
        labels: parseLabelArgs(list(v.label)),
        ...(v.namespace ? { namespace: v.namespace } : {}),
        ...(list(v.alias).length ? { aliases: list(v.alias) } : {}),
        exposes: list(v.expose),
        ports: list(v.publish),
        allowFrom: list(v["allow-from"]),
        ...(v["privileged-ranges"] ? { privilegedRanges: true } : {}),
        env: parseKv(list(v.env), "--env"),
        ...(v.restart ? { restart: v.restart } : {}),
        routes: list(v.route).map((r) => {
          const [dst, via] = r.split("=");
          if (!dst || !via) throw new EngineError("INVALID_ARGUMENT", `invalid route '${r}'`, { hint: "write it as DST=VIA or DST=blackhole, e.g. 10.50.0.0/16=172.20.0.254" });
          return via === "blackhole" ? { dst, type: "blackhole" } : { dst, via };
        }),
        ...(v.netns ? { netns: v.netns } : {}),
        ...(v.hostname !== undefined ? { hostname: v.hostname } : {}),
        ...dnsSettings(v),
        ...(list(v["add-host"]).length ? { extraHosts: list(v["add-host"]) } : {}),
        command: [...args.positionals, ...args.rest],
      };
      const node = v.node !== undefined ? { node: v.node } : {};
      if (v.replicas !== undefined) {
        // With --node: that node owns the template and runs its replicas.
        const r = await client.request<{ added: string[] }>("POST", "/v1/templates", { ...body, replicas: v.replicas, ...node });
        show(format, r, () => r.added.forEach((n) => console.log(n)));
        return;
      }
      const w = await client.request<WorkloadView>("POST", "/v1/workloads", { ...body, ...node });
      show(format, w, () => console.log(w.name));
    },
  },
  ls: {
    usage: "ponton ls [-o json]",
    summary: "List workloads (in a cluster: every node's, with a NODE column).",
    options: { all: { type: "boolean", short: "a", description: "accepted for Docker habits: every workload is listed" }, ...OUTPUT_OPTION },
    async run({ client, format }) {
      const { workloads: ws, unreachable } = await client.request<{ workloads: (WorkloadView & { node?: string })[]; unreachable: { node: string; error: string }[] }>("GET", "/v1/workloads?nodes=all");
      for (const u of unreachable) console.error(`ponton: node ${u.node}: its workloads are not listed (${u.error})`);
      const nodes = ws.some((w) => w.node !== undefined);
      show(format, ws, (rows) =>
        printTable(
          [...(nodes ? ["NODE"] : []), "NAME", "STATE", "PID", "NETWORKS", "ADDRESSES", "PORTS", "COMMAND"],
          rows.map((w) => [
            ...(nodes ? [w.node ?? ""] : []),
            w.name,
            w.state + (w.exitCode !== undefined ? ` (${w.exitCode})` : ""),
            w.pid,
            w.networks.map((n) => n.network).join(",") || w.netnsMode,
            w.networks.flatMap((n) => [n.ip4, n.ip6].filter(Boolean)).join(","),
            w.ports.map((p) => p.spec).join(","),
            w.command.join(" "),
          ]),
        ),
      );
    },
  },
  inspect: {
    usage: "ponton inspect [-n NS] NAME|NS/NAME...",
    summary: "Show workloads as JSON.",
    options: { ...NAMESPACE_OPTION, ...OUTPUT_OPTION },
    async run({ client, args }) {
      const out = [];
      for (const ref of refs("workload", args)) out.push(await client.request("GET", `/v1/workloads/${encodeURIComponent(ref.name)}${namespaceQuery(ref)}`));
      console.log(JSON.stringify(out, null, 2));
    },
  },
  exec: {
    usage: "ponton exec NAME [--] CMD [ARGS...]",
    summary: "Run a command inside a workload's network namespace (with its resolv.conf), attached to this terminal; on another node's workload, streamed from that node (no terminal).",
    stopAtPositional: 1,
    options: {},
    async run({ client, args }) {
      const [name] = args.positionals;
      const cmd = args.rest;
      if (!name || cmd.length === 0) throw new EngineError("INVALID_ARGUMENT", "usage: ponton exec NAME -- CMD [ARGS...]");
      const w = await client.request<WorkloadView & { node?: string }>("GET", `/v1/workloads/${encodeURIComponent(name)}`);
      // Another node's (the cluster's answer names it): that node runs it and streams it here.
      if (w.node !== undefined) return execStream(client.socketPath, name, cmd);
      const [bin, argv] =
        // A named namespace through `ip netns exec`, which bind-mounts its resolv.conf and hosts.
        w.netnsName ? ["ip", ["netns", "exec", w.netnsName, ...cmd]] : w.netnsMode === "path" ? ["nsenter", [`--net=${w.netns}`, ...cmd]] : [cmd[0]!, cmd.slice(1)];
      const r = spawnSync(bin, argv, { stdio: "inherit" });
      return r.status ?? 1;
    },
  },
  stop: {
    usage: "ponton stop [-n NS] NAME|NS/NAME... [-t SECONDS]",
    summary: "Stop workloads' processes (SIGTERM, then SIGKILL after the grace period). Their network stays.",
    options: { ...NAMESPACE_OPTION, time: { type: "string", short: "t", description: "grace period in seconds (default 10)", value: "S" } },
    async run({ client, args }) {
      for (const ref of refs("workload", args)) {
        await client.request("POST", `/v1/workloads/${encodeURIComponent(ref.name)}/stop${namespaceQuery(ref, args.values.time ? { time: String(args.values.time) } : {})}`);
        console.log(ref.name);
      }
    },
  },
  start: {
    usage: "ponton start [-n NS] NAME|NS/NAME...",
    summary: "Start a stopped workload's command again.",
    options: { ...NAMESPACE_OPTION },
    async run({ client, args }) {
      for (const ref of refs("workload", args)) {
        await client.request("POST", `/v1/workloads/${encodeURIComponent(ref.name)}/start${namespaceQuery(ref)}`);
        console.log(ref.name);
      }
    },
  },
  rm: {
    usage: "ponton rm [-n NS] NAME|NS/NAME... [-f] [-t SECONDS]",
    summary: "Stop and remove workloads: process, namespace, veths, addresses, published ports. -f: succeed when already gone.",
    options: {
      ...NAMESPACE_OPTION,
      force: { type: "boolean", short: "f", description: "no error if the workload does not exist" },
      time: { type: "string", short: "t", description: "grace period in seconds before SIGKILL", value: "S" },
    },
    async run({ client, args }) {
      const q: Record<string, string> = {};
      if (args.values.force) q.force = "1";
      if (args.values.time) q.time = String(args.values.time);
      for (const ref of refs("workload", args)) {
        await client.request("DELETE", `/v1/workloads/${encodeURIComponent(ref.name)}${namespaceQuery(ref, q)}`);
        console.log(ref.name);
      }
    },
  },
  logs: {
    usage: "ponton logs [-n NS] NAME|NS/NAME [-f]",
    summary: "Print a workload's output.",
    options: { ...NAMESPACE_OPTION, follow: { type: "boolean", short: "f", description: "keep printing new output" } },
    async run({ client, args }) {
      const [ref] = refs("workload", args);
      if (!ref) throw new EngineError("INVALID_ARGUMENT", "a workload name is required");
      await client.stream(`/v1/workloads/${encodeURIComponent(ref.name)}/logs${namespaceQuery(ref, args.values.follow ? { follow: "1" } : {})}`, process.stdout);
    },
  },
};
