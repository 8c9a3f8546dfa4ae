// pontond: owns the store, serialises changes, serves the API on a unix socket.
import v8 from "node:v8";
import os from "node:os";
import { existsSync, mkdirSync, unlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { apiServer, dispatch, metricsServer } from "../api/server";
import { routes } from "../api/routes";
import { serveExec } from "../api/workload-exec";
import { cliRoute } from "./cli-route";
import { Engine, defaultConfig, FLOW_OFFLOAD_MODES, type FlowOffloadMode, type RunSpec } from "../engine";
import { DEFAULT_MAX_STREAMS, loadWeb, uiServer, WEB_DIR } from "../api/ui/ui-server";
import { parseUiListen } from "../api/ui/ui-access";
import { validateLabels } from "../model/names";
import { SpawnerExecutor } from "../kernel";
import { asEngineError, codeInfo, EngineError } from "../errors";
import { parsePoolSpec } from "../ipam";
import { parseArgs, helpText, type Options } from "../args/parse";
import { socketFrom, stateDirFrom } from "../settings";
import { checkMountNamespace } from "./mount-namespace";
import { listenPrivately } from "./socket-access";
import { Cluster, CLUSTER_NETWORK_LABEL, localRecords, parseClusterOptions, parseL2LeaseOptions, parseRoutingMode, readTls, type LocalSide } from "../cluster";

const OPTIONS: Options = {
  "state-dir": { type: "string", description: "state directory (env PONTON_STATE_DIR; default /var/lib/ponton)", value: "DIR" },
  socket: { type: "string", description: "API socket (env PONTON_SOCKET; default /run/ponton/ponton.sock)", value: "PATH" },
  prefix: { type: "string", description: "prefix of the network namespaces we create (env PONTON_PREFIX; default ponton)", value: "NAME" },
  "default-pool": { type: "string", description: "pool for automatic IPv4 subnets (env PONTON_DEFAULT_POOL; default 10.89.0.0/16:24)", value: "CIDR:SIZE" },
  "default-pool6": { type: "string", description: "pool for automatic IPv6 subnets (default fd70:6f6e::/48:64)", value: "CIDR:SIZE" },
  "host-resolv-conf": { type: "string", description: "where upstream nameservers are read (default /etc/resolv.conf)", value: "PATH" },
  "dns-port": { type: "string", description: "port of the embedded DNS on gateway addresses (default 53; 0 turns it off)", value: "PORT" },
  "dns-domain": { type: "string", description: "search domain of workload names (default ponton.internal)", value: "DOMAIN" },
  ndots: { type: "string", description: "options ndots in workloads' resolv.conf (default 5, as Kubernetes)", value: "N" },
  "flow-log": { type: "string", description: "record every new connection for `ponton observe` (on|off; default on; drops are always recorded)", value: "on|off" },
  "flow-buffer": { type: "string", description: "flow records kept in memory (default 10000)", value: "N" },
  "node-label": { type: "string", multiple: true, description: "a label of this node, what CiliumBGPPeeringPolicy nodeSelectors match (kubernetes.io/hostname is always set)", value: "K=V" },
  "flow-journal": { type: "string", description: "also append every flow record to <state>/logs/flows.jsonl (rotated at 64 MiB) and read the newest back at start, so they survive a restart (on|off; default off)", value: "on|off" },
  "flow-offload": { type: "string", description: "offload established connections to an nftables flowtable (the software fast path): auto (default; on where the kernel has flowtables, CONFIG_NF_FLOW_TABLE), on (refuse to start without them) or off; `ponton info` shows the outcome", value: "auto|on|off" },
  "forward-others": { type: "string", description: "traffic the host forwards between interfaces Ponton does not own: drop (default; the host is no open router) or accept (leave it to the host's own firewall)", value: "drop|accept" },
  "metrics-listen": { type: "string", description: "also serve GET /metrics over TCP here for Prometheus (e.g. 127.0.0.1:9469; default: only on the API socket)", value: "ADDR:PORT" },
  "fqdn-grace": { type: "string", description: "seconds a toFQDNs address stays allowed after its DNS TTL ends (default 5)", value: "S" },
  "policy-delta": { type: "string", description: "apply a policy change as a delta: only the changed policies compiled, interval elements written over netlink (on|off; default on; off: a full recompile through nft)", value: "on|off" },
  "max-port-range": { type: "string", description: "most host ports one published range may hold (default 1000)", value: "N" },
  cluster: { type: "string", description: "join a cluster whose store is this etcd (comma-separated http://HOST:PORT)", value: "URLS" },
  "node-name": { type: "string", description: "this node's name in the cluster (default: the host name)", value: "NAME" },
  "node-ip": { type: "string", description: "this node's underlay address (default: the source address towards etcd)", value: "IP" },
  "cluster-routing": { type: "string", description: "how pod blocks reach other nodes: vxlan (encapsulated; the default for a new cluster) or native (a route per block via its node, no encapsulation; nodes on one L2 segment); every node must agree", value: "vxlan|native" },
  "etcd-cacert": { type: "string", description: "CA certificate that signed etcd's (https:// endpoints; default: the system's roots)", value: "FILE" },
  "etcd-cert": { type: "string", description: "client certificate for etcd (with --etcd-key, when etcd runs with --client-cert-auth)", value: "FILE" },
  "etcd-key": { type: "string", description: "private key of --etcd-cert (mode 0600 or narrower)", value: "FILE" },
  "l2-lease-duration": { type: "string", description: "cluster: seconds an L2 announcer's heartbeat may stand still before another node takes its addresses over — how long a dead node's addresses stay unanswered (default 1; Cilium's lease is 15)", value: "S" },
  "l2-lease-renew": { type: "string", description: "cluster: milliseconds between an L2 announcer's heartbeats and lease renewals (default 250)", value: "MS" },
  "node-lease-ttl": { type: "string", description: "seconds after which a silent node is NotReady (default 5)", value: "S" },
  "ui-listen": { type: "string", description: "serve the web UI here (off by default; e.g. 127.0.0.1:12000; any non-loopback address needs --ui-token)", value: "IP:PORT" },
  "ui-token": { type: "string", description: "token the web UI asks for on every request (env PONTON_UI_TOKEN; at least 16 characters); open it once with ?token=TOKEN", value: "TOKEN" },
  "ui-max-streams": { type: "string", description: `live flow streams the web UI serves at once, all pages together (default ${DEFAULT_MAX_STREAMS})`, value: "N" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

function onOff(option: string, value: string | undefined): boolean | undefined {
  if (value !== undefined && value !== "on" && value !== "off") throw new EngineError("INVALID_ARGUMENT", `--${option} is on or off, not '${value}'`);
  return value === undefined ? undefined : value === "on";
}

function flowOptions(log: string | undefined, buffer: string | undefined, journal: string | undefined): { flowLog?: boolean; flowBuffer?: number; flowJournal?: boolean } {
  const flowLog = onOff("flow-log", log);
  const flowJournal = onOff("flow-journal", journal);
  const size = buffer === undefined ? undefined : Number(buffer);
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 10_000_000)) throw new EngineError("INVALID_ARGUMENT", `--flow-buffer must be a whole number from 1 to 10000000, not '${buffer}'`);
  return { ...(flowLog !== undefined ? { flowLog } : {}), ...(size ? { flowBuffer: size } : {}), ...(flowJournal !== undefined ? { flowJournal } : {}) };
}

function uiMaxStreams(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_STREAMS;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) throw new EngineError("INVALID_ARGUMENT", `--ui-max-streams must be a whole number from 1 to 1000, not '${value}'`);
  return n;
}

function flowOffload(value: string | undefined): { flowOffload?: FlowOffloadMode } {
  if (value === undefined) return {};
  if (!(FLOW_OFFLOAD_MODES as readonly string[]).includes(value)) throw new EngineError("INVALID_ARGUMENT", `--flow-offload is auto, on or off, not '${value}'`);
  return { flowOffload: value as FlowOffloadMode };
}

function forwardOthers(value: string | undefined): { forwardOthers?: "drop" | "accept" } {
  if (value === undefined) return {};
  if (value !== "drop" && value !== "accept") throw new EngineError("INVALID_ARGUMENT", `--forward-others is drop or accept, not '${value}'`);
  return { forwardOthers: value };
}

function maxPortRange(value: string | undefined): { maxPortRange?: number } {
  if (value === undefined) return {};
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new EngineError("INVALID_ARGUMENT", `--max-port-range must be a whole number from 1 to 65535, not '${value}'`);
  return { maxPortRange: n };
}

function fqdnGrace(value: string | undefined): { fqdnGraceSeconds?: number } {
  if (value === undefined) return {};
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 86400) throw new EngineError("INVALID_ARGUMENT", `--fqdn-grace must be a whole number of seconds from 0 to 86400, not '${value}'`);
  return { fqdnGraceSeconds: n };
}

function policyDelta(on: boolean | undefined): { policyDelta?: boolean } {
  return on === undefined ? {} : { policyDelta: on };
}

/** Refuse to start twice on one socket; remove a stale socket file left by a crash. */
async function claimSocket(socket: string): Promise<void> {
  if (!existsSync(socket)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect(socket, () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
  if (alive) throw new Error(`another pontond is serving ${socket}`);
  unlinkSync(socket);
}

/** The engine as the cluster sees it: its piece of each cluster network is a local bridge network on its block. */
function localSide(engine: Engine): LocalSide {
  const own = routes(engine);
  return {
    async ensureNetwork(name, block, mtu, block6) {
      const existing = engine.listNetworks().find((n) => n.name === name);
      const blocks = [block, block6].filter(Boolean).join(" and ");
      if (existing && existing.subnet4 === block && existing.subnet6 === block6) return;
      if (existing) throw new EngineError("NAME_IN_USE", `cluster network ${name}: a local network of that name is on ${[existing.subnet4, existing.subnet6].filter(Boolean).join(" and ") || "no subnet"}, not this node's block ${blocks}`);
      await engine.createNetwork({ name, ...(block ? { subnet: block } : {}), ...(block6 ? { ipv6: true, subnet6: block6 } : {}), mtu, labels: { [CLUSTER_NETWORK_LABEL]: name } });
    },
    setOverlay: (o) => engine.setOverlay(o),
    networkUsers: (name) => engine.list().filter((w) => w.networks.some((a) => a.network === name)).map((w) => w.name),
    async dropNetworks(keep) {
      for (const n of engine.ctx.store.networks()) {
        const piece = n.labels[CLUSTER_NETWORK_LABEL];
        if (piece === undefined || keep.includes(piece)) continue;
        // A workload made on it meanwhile keeps it here (said, not retried): remove it, then the network.
        await engine.removeNetwork(n.name, true).catch((e: Error) => console.error(`pontond: cluster: drop the removed network ${piece}: ${e.message}`));
      }
    },
    workloads: () => engine.list().length,
    records: (node) => localRecords(engine.ctx.store.state(), node),
    attach(gate, onChanged) {
      engine.joinCluster(gate);
      engine.onChanged = onChanged;
    },
    remoteChanged: () => engine.remoteWorkloadsChanged(),
    mirrorServices: (r) => engine.mirrorServices(r),
    mirrorPolicies: (r) => engine.mirrorPolicies(r),
    mirrorNamespaces: (r) => engine.mirrorNamespaces(r),
    mirrorLbPools: (r) => engine.mirrorLbPools(r),
    flows: (q, limit) => engine.observe(q, limit),
    workloadsApi: { list: () => engine.list(), run: (spec) => engine.run(spec as unknown as RunSpec) },
    templatesApi: {
      list: () => engine.listTemplates(),
      create: ({ replicas, ...spec }) => engine.createTemplate(spec as unknown as RunSpec, replicas),
      scale: (wanted) => engine.scale(wanted),
      remove: (name, missingOk) => engine.removeTemplate(name, missingOk),
    },
    followFlows: (q, onRecord) => engine.followFlows(q, onRecord),
    api: { serve: (req, res) => dispatch(own, req, res), upgrade: (req, socket) => serveExec(engine, req, socket) },
  };
}

function nodeLabels(given: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = { "kubernetes.io/hostname": os.hostname() };
  for (const kv of given ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new EngineError("INVALID_ARGUMENT", `--node-label is K=V, not '${kv}'`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return validateLabels(out);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs(argv, OPTIONS);
  if (values.help) {
    console.log(helpText("pontond [options]", "The Ponton daemon. Restarting it never interrupts traffic: the data plane lives in the kernel.", OPTIONS));
    return;
  }
  checkMountNamespace();
  const env = process.env;
  const stateDir = stateDirFrom(values["state-dir"] as string | undefined);
  const socket = socketFrom(values.socket as string | undefined);
  const pool = (values["default-pool"] as string | undefined) ?? env.PONTON_DEFAULT_POOL;
  const pool6 = values["default-pool6"] as string | undefined;
  const config = defaultConfig(stateDir, {
    prefix: (values.prefix as string | undefined) ?? env.PONTON_PREFIX ?? "ponton",
    ...(pool ? { pool4: parsePoolSpec(pool) } : {}),
    ...(pool6 ? { pool6: parsePoolSpec(pool6) } : {}),
    ...(values["host-resolv-conf"] ? { hostResolvConf: values["host-resolv-conf"] as string } : {}),
    ...(values["dns-port"] !== undefined ? { dnsPort: Number(values["dns-port"]) } : {}),
    ...(values["dns-domain"] ? { dnsDomain: String(values["dns-domain"]) } : {}),
    ...(values.ndots !== undefined ? { ndots: Number(values.ndots) } : {}),
    ...forwardOthers(values["forward-others"] as string | undefined),
    ...flowOffload(values["flow-offload"] as string | undefined),
    ...flowOptions(values["flow-log"] as string | undefined, values["flow-buffer"] as string | undefined, values["flow-journal"] as string | undefined),
    ...maxPortRange(values["max-port-range"] as string | undefined),
    ...fqdnGrace(values["fqdn-grace"] as string | undefined),
    ...policyDelta(onOff("policy-delta", values["policy-delta"] as string | undefined)),
    nodeLabels: nodeLabels(values["node-label"] as string[] | undefined),
  });
  const clusterOpts = parseClusterOptions(values.cluster as string | undefined, values["node-name"] as string | undefined, values["node-ip"] as string | undefined, values["node-lease-ttl"] as string | undefined, {
    ca: values["etcd-cacert"] as string | undefined,
    cert: values["etcd-cert"] as string | undefined,
    key: values["etcd-key"] as string | undefined,
  });
  const routing = parseRoutingMode(values["cluster-routing"] as string | undefined);
  if (routing && clusterOpts) clusterOpts.routing = routing;
  else if (routing) throw new EngineError("INVALID_ARGUMENT", "--cluster-routing needs --cluster");
  // Read once, here: unreadable or exposed TLS files are refused before anything is made.
  if (clusterOpts?.tls) clusterOpts.credentials = readTls(clusterOpts.tls);
  const l2Lease = parseL2LeaseOptions(values["l2-lease-duration"] as string | undefined, values["l2-lease-renew"] as string | undefined);
  if (!clusterOpts && (values["l2-lease-duration"] || values["l2-lease-renew"])) throw new EngineError("INVALID_ARGUMENT", "--l2-lease-duration and --l2-lease-renew need --cluster");
  const ui = values["ui-listen"] ? parseUiListen(String(values["ui-listen"]), (values["ui-token"] as string | undefined) ?? (env.PONTON_UI_TOKEN || undefined)) : undefined;
  if (!ui && values["ui-token"]) throw new EngineError("INVALID_ARGUMENT", "--ui-token without --ui-listen");
  const uiStreams = uiMaxStreams(values["ui-max-streams"] as string | undefined);
  const web = ui ? loadWeb(WEB_DIR) : undefined;
  await claimSocket(socket);
  // Never world-writable, whatever the umask: whoever can write there can replace the socket.
  mkdirSync(path.dirname(socket), { recursive: true, mode: 0o755 });
  // Programs run from a small spawner process: forking pontond itself grows costly with its heap.
  const engine = new Engine(config, new SpawnerExecutor());
  if (clusterOpts) engine.expectL2Arbiter();
  const report = await engine.start();
  const cluster = clusterOpts ? await Cluster.join(clusterOpts, localSide(engine)) : undefined;
  if (cluster) await engine.setL2Arbiter(await cluster.startL2Leases(l2Lease, () => void engine.resyncL2().catch(() => undefined)));
  const server = apiServer(engine, cluster, [cliRoute(socket)]);
  const access = await listenPrivately(server, socket);
  const metrics = values["metrics-listen"] ? await metricsServer(engine, String(values["metrics-listen"])) : undefined;
  const uiHttp = ui ? await uiServer(engine, ui, { web, maxStreams: uiStreams, ...(cluster ? { cluster } : {}) }) : undefined;
  if (ui) console.log(`pontond: web UI on http://${ui.host.includes(":") ? `[${ui.host}]` : ui.host}:${ui.port}/${ui.token ? " (token required)" : ""}`);
  console.log(`pontond: serving ${socket} (mode ${access.mode.toString(8)}${access.gid !== undefined ? `, group ponton` : ""}), state in ${stateDir}; reconcile: ${JSON.stringify(report)}${cluster ? `; cluster node ${cluster.nodeName}` : ""}`);
  const shutdown = async () => {
    server.close();
    metrics?.close();
    uiHttp?.close();
    await cluster?.close();
    engine.close();
    try {
      unlinkSync(socket);
    } catch {
      // already gone
    }
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());
}

/** Entry point of bin/pontond: errors become a message and the documented exit code. */
export function runPontond(argv: string[]): void {
  boundHeapGrowth();
  main(argv).catch((err) => {
    const e = asEngineError(err);
    console.error(`pontond: ${e.code}: ${e.message}`);
    console.error(`Hint: ${e.hint}`);
    process.exit(codeInfo(e.code).exit);
  });
}

/**
 * V8 lets the old generation grow to up to 4× what survived the last full collection when a
 * program allocates slowly for its collector's speed: a daemon that no longer rebuilds whole lists
 * per change held 4–5× its live heap at 10,000 workloads (bench/dataplane). A fixed 1.5× keeps what
 * a workload costs in memory near what it holds, for a full collection more often.
 */
function boundHeapGrowth(): void {
  v8.setFlagsFromString("--heap-growing-percent=50");
}
