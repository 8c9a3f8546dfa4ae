// ponton service create|ls|inspect|update|rm: VIPs load-balanced over the workloads a selector matches.
import { readFileSync } from "node:fs";
import { EngineError } from "../../errors";
import { list, NAMESPACE_OPTION, OUTPUT_OPTION, refs, type Command } from "../command";
import { namespaceQuery } from "../../model/object-ref";
import { labelText, printTable, show } from "../output";

interface ServiceView {
  name: string;
  namespace: string;
  vip?: string;
  vips?: string[];
  headless?: boolean;
  externalName?: string;
  scheduler: string;
  ports: { port: number; targetPort: number | string; protocol: string; hostPort?: number }[];
  selector: Record<string, string>;
  externalIps: string[];
  loadBalancer?: { ips: string[]; pending?: { code: string; reason: string } };
  externalTrafficPolicy?: "Local";
  endpoints: { workload: string; ip: string; ip6?: string; healthy: boolean; weight: number; connections?: number }[];
  ready: number;
  conntrackCleared: number;
}


const SPEC_OPTIONS = {
  port: { type: "string" as const, multiple: true, description: "service port, [NAME=]PORT[:TARGET][/tcp|udp] (a NAME publishes an SRV record)", value: "PORT" },
  selector: { type: "string" as const, multiple: true, description: "workloads with this label are endpoints", value: "K=V" },
  vip: { type: "string" as const, multiple: true, description: "virtual IP, IPv4 or IPv6; twice for dual stack (default: next free in the family's service range)", value: "IP" },
  "ip-family": { type: "string" as const, description: "ipv4 (default), ipv6, dual (IPv4 primary), ipv6,ipv4, or prefer-dual", value: "FAMILY" },
  scheduler: { type: "string" as const, description: "rr|wrr|random|sh|dh|lc|wlc|maglev (default rr)", value: "NAME" },
  weight: { type: "string" as const, multiple: true, description: "weight of a workload for wrr/wlc (default 1)", value: "WORKLOAD=N" },
  publish: { type: "string" as const, multiple: true, description: "host port to service port on every host address", value: "HOST:PORT[/proto]" },
  "external-ip": { type: "string" as const, multiple: true, description: "another address that reaches the service", value: "IP" },
  health: { type: "string" as const, description: "tcp, http:/path, or none", value: "CHECK" },
  "health-interval": { type: "string" as const, description: "seconds between checks (default 1)", value: "S" },
  "health-rise": { type: "string" as const, description: "successes before an endpoint returns (default 1)", value: "N" },
  "health-fall": { type: "string" as const, description: "failures before an endpoint is removed (default 2)", value: "N" },
  affinity: { type: "string" as const, description: "client-ip: a client keeps its endpoint; none", value: "KIND" },
  headless: { type: "boolean" as const, description: "no VIP: DNS answers one A/AAAA per ready endpoint (clusterIP: None)" },
  "external-name": { type: "string" as const, description: "no VIP, no endpoints: DNS answers a CNAME to NAME", value: "NAME" },
  "load-balancer": { type: "boolean" as const, description: "type LoadBalancer: an address from a matching pool (ponton lb-pool)" },
  "lb-ip": { type: "string" as const, multiple: true, description: "type LoadBalancer: ask for this address (loadBalancerIP)", value: "IP" },
  "sharing-key": { type: "string" as const, description: "type LoadBalancer: share one address with services of the same key on other ports", value: "KEY" },
  "external-traffic-policy": { type: "string" as const, description: "NodePort/LoadBalancer/external IPs: Cluster (default: any node forwards to any endpoint) or Local (only nodes with a ready endpoint of their own answer, the client's address kept)", value: "Cluster|Local" },
  label: { type: "string" as const, multiple: true, description: "a label of the service (pools select services by label)", value: "K=V" },
  "affinity-timeout": { type: "string" as const, description: "how long a client stays pinned after its last new connection (default 3h)", value: "DURATION" },
};

/** --load-balancer, --lb-ip, --sharing-key: true, or what it asks for. */
function loadBalancerFrom(values: Record<string, unknown>): unknown {
  const requested = values["lb-ip"] === undefined ? undefined : list(values["lb-ip"]);
  const key = values["sharing-key"];
  if (requested === undefined && key === undefined) return values["load-balancer"];
  return { ...(requested ? { requested } : {}), ...(key !== undefined ? { sharingKey: key } : {}) };
}

/** One --vip is `vip`; two (dual stack, primary first) are `vips`. */
const vipsFrom = (v: string[] | undefined) => (v === undefined ? {} : v.length === 1 ? { vip: v[0] } : { vips: v });

function specFrom(values: Record<string, unknown>): Record<string, unknown> {
  const secs = (v: unknown) => (v === undefined ? undefined : Math.round(Number(v) * 1000));
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  const many = (k: string) => (values[k] === undefined ? undefined : list(values[k]));
  const spec: Record<string, unknown> = {
    ports: many("port"),
    selector: many("selector"),
    ...vipsFrom(many("vip")),
    ipFamily: values["ip-family"],
    scheduler: values.scheduler,
    weights: many("weight"),
    publish: many("publish"),
    externalIps: many("external-ip"),
    health: values.health,
    healthIntervalMs: secs(values["health-interval"]),
    healthRise: num(values["health-rise"]),
    healthFall: num(values["health-fall"]),
    affinity: values.affinity,
    affinityTimeout: values["affinity-timeout"],
    headless: values.headless,
    externalName: values["external-name"],
    labels: many("label"),
    loadBalancer: loadBalancerFrom(values),
    externalTrafficPolicy: values["external-traffic-policy"],
  };
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
}

/** The VIPs (primary first), or what answers instead of one. */
const vipText = (s: ServiceView) => (s.vip ? (s.vips ?? [s.vip]).join(",") : s.externalName ? `CNAME ${s.externalName}` : "None");

/** As kubectl: "80/TCP", "80:32527/TCP" with a NodePort. */
const portText = (p: ServiceView["ports"][number]) => `${p.port}${p.hostPort ? `:${p.hostPort}` : ""}/${p.protocol.toUpperCase()}`;

const typeText = (s: ServiceView) =>
  s.externalName ? "ExternalName" : s.loadBalancer ? "LoadBalancer" : s.ports.some((p) => p.hostPort !== undefined) ? "NodePort" : "ClusterIP";

/** As kubectl: the external IPs and LoadBalancer addresses, <pending> while LB IPAM has none, <none>. */
function externalText(s: ServiceView): string {
  const ips = [...new Set([...(s.loadBalancer?.ips ?? []), ...s.externalIps])];
  if (s.loadBalancer && s.loadBalancer.ips.length === 0) ips.push("<pending>");
  return ips.length ? ips.join(",") : "<none>";
}

/** externalTrafficPolicy where it means something (traffic from outside: NodePort, LoadBalancer, external IPs), else "-". */
const trafficText = (s: ServiceView) =>
  s.loadBalancer || s.externalIps.length || s.ports.some((p) => p.hostPort !== undefined) ? (s.externalTrafficPolicy ?? "Cluster") : "-";

export const serviceCommands: Record<string, Command> = {
  create: {
    usage: "ponton service create [-n NS] NAME|NS/NAME --port 80/tcp --selector app=web [options]",
    summary: "Create a service: a VIP load-balanced over the workloads the selector matches, live.",
    options: { ...NAMESPACE_OPTION, ...SPEC_OPTIONS, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const [ref] = refs("service", args);
      if (!ref) throw new EngineError("INVALID_ARGUMENT", "a service name is required");
      const s = await client.request<ServiceView>("POST", "/v1/services", { ...specFrom(args.values), name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) });
      show(format, s, () => console.log(`${s.name} ${vipText(s)}`));
    },
  },
  update: {
    usage: "ponton service update [-n NS] NAME|NS/NAME [options]",
    summary: "Change a service; options not given keep their value.",
    options: { ...NAMESPACE_OPTION, ...SPEC_OPTIONS, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const [ref] = refs("service", args);
      if (!ref) throw new EngineError("INVALID_ARGUMENT", "a service name is required");
      const s = await client.request<ServiceView>("PATCH", `/v1/services/${encodeURIComponent(ref.name)}${namespaceQuery(ref)}`, specFrom(args.values));
      show(format, s, () => console.log(`${s.name} ${vipText(s)}`));
    },
  },
  apply: {
    usage: "ponton service apply -f FILE",
    summary: "Apply Kubernetes v1 Service manifests as they are (several documents or a List): created or replaced, all or nothing.",
    options: { filename: { type: "string", short: "f", description: "YAML or JSON file ('-' for stdin)", value: "FILE" }, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const file = args.values.filename as string | undefined;
      if (!file) throw new EngineError("INVALID_ARGUMENT", "give the file: ponton service apply -f FILE");
      let yaml: string;
      try {
        yaml = readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (e) {
        throw new EngineError("NOT_FOUND", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
      }
      const out = await client.request<{ created: string[]; replaced: string[] }>("POST", "/v1/services/apply", { yaml });
      show(format, out, (o) => {
        o.created.forEach((k) => console.log(`service ${k} created`));
        o.replaced.forEach((k) => console.log(`service ${k} configured`));
      });
    },
  },
  ls: {
    usage: "ponton service ls [-n NS] [-o json]",
    summary: "List services with their namespace, VIPs (both of a dual-stack one), type, external IPs (<pending>: see inspect), ports, scheduler, ready endpoints and externalTrafficPolicy (-n: one namespace).",
    options: { ...NAMESPACE_OPTION, ...OUTPUT_OPTION },
    async run({ client, args, format }) {
      const all = await client.request<ServiceView[]>("GET", `/v1/services${args.values.namespace ? `?namespace=${encodeURIComponent(String(args.values.namespace))}` : ""}`);
      show(format, all, (ss) =>
        printTable(
          ["NAMESPACE", "NAME", "VIP", "TYPE", "EXTERNAL-IP", "PORT(S)", "SCHEDULER", "SELECTOR", "ENDPOINTS", "EXT-TRAFFIC"],
          ss.map((s) => [s.namespace, s.name, vipText(s), typeText(s), externalText(s), s.ports.map(portText).join(","), s.scheduler, labelText(s.selector), `${s.ready}/${s.endpoints.length}`, trafficText(s)]),
        ),
      );
    },
  },
  inspect: {
    usage: "ponton service inspect [-n NS] NAME|NS/NAME...",
    summary: "Show services as JSON, with endpoints, health, connection counts and conntrack entries cleared.",
    options: { ...NAMESPACE_OPTION, ...OUTPUT_OPTION },
    async run({ client, args }) {
      const out = [];
      for (const ref of refs("service", args)) out.push(await client.request("GET", `/v1/services/${encodeURIComponent(ref.name)}${namespaceQuery(ref)}`));
      console.log(JSON.stringify(out, null, 2));
    },
  },
  rm: {
    usage: "ponton service rm [-n NS] NAME|NS/NAME... [-f]",
    summary: "Remove services. -f: succeed when already gone.",
    options: { ...NAMESPACE_OPTION, force: { type: "boolean", short: "f", description: "no error if the service does not exist" } },
    async run({ client, args }) {
      for (const ref of refs("service", args)) {
        await client.request("DELETE", `/v1/services/${encodeURIComponent(ref.name)}${namespaceQuery(ref, args.values.force ? { missingOk: "1" } : {})}`);
        console.log(ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name);
      }
    },
  },
};
