// The HTTP API (documented in docs/api.md): JSON over a unix socket, errors with codes.
import { createReadStream, promises as fs, watch } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { EngineError } from "../errors";
import { checkShape } from "../model/shape";
import { validateNamespace } from "../model/namespaces";
import type { Engine, NetworkSpec } from "../engine";
import { cniHandler } from "../cni/http";
import type { ServiceSpec } from "../model/services/service-spec";
import { FLOW_QUERY_KEYS, type FlowQuery } from "../flows";
import { DEFAULT_FLOW_LIMIT } from "../engine/flows/flows";

export type Handler = (ctx: { req: IncomingMessage; res: ServerResponse; params: string[]; query: URLSearchParams; body: () => Promise<Record<string, unknown>> }) => Promise<unknown>;

export interface Route {
  method: string;
  pattern: RegExp;
  status: number;
  handler: Handler;
}

const flag = (q: URLSearchParams, k: string) => q.get(k) === "1" || q.get(k) === "true";
const nsOf = (q: URLSearchParams) => q.get("namespace") || undefined;
const graceOf = (q: URLSearchParams) => (q.has("time") ? count(q.get("time"), "time") * 1000 : undefined);

/** A whole number >= 0 from a query value or path segment. */
function count(v: string | null, what: string): number {
  const n = Number(v);
  if (v === null || !/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new EngineError("INVALID_ARGUMENT", `${what} must be a whole number >= 0, not '${v}'`);
  return n;
}

function str(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== "string" || v === "") throw new EngineError("INVALID_ARGUMENT", `'${key}' is required`);
  return v;
}

export function routes(engine: Engine): Route[] {
  const r = (method: string, path: string, status: number, handler: Handler): Route => ({
    method,
    pattern: new RegExp(`^${path.replace(/:[a-z]+/g, "([^/]+)")}$`),
    status,
    handler,
  });
  const cni = cniHandler(engine);
  return [
    r("GET", "/v1/info", 200, async () => ({ ...(await engine.fullInfo()), portHolder: await engine.portHolder() })),
    r("GET", "/v1/networks", 200, async () => engine.listNetworks()),
    r("POST", "/v1/networks", 201, async ({ body }) => engine.createNetwork((await body()) as unknown as NetworkSpec)),
    r("GET", "/v1/networks/:name", 200, async ({ params }) => engine.inspectNetwork(params[0]!)),
    r("DELETE", "/v1/networks/:name", 200, async ({ params, query }) => engine.removeNetwork(params[0]!, flag(query, "missingOk"))),
    r("POST", "/v1/networks/:name/connect", 200, async ({ params, body }) => {
      const b = checkShape("connect", await body(), { workload: "string", ip: "string", ip6: "string", aliases: "string[]" });
      return engine.connect(str(b, "workload"), {
        network: params[0]!,
        ...(b.ip ? { ip: String(b.ip) } : {}),
        ...(b.ip6 ? { ip6: String(b.ip6) } : {}),
        ...(b.aliases !== undefined ? { aliases: b.aliases as string[] } : {}),
      });
    }),
    r("POST", "/v1/networks/:name/dns", 200, async ({ params, body }) => engine.setNetworkDns(params[0]!, checkShape("network dns", await body(), { servers: "string[]" }).servers)),
    r("POST", "/v1/networks/:name/disconnect", 200, async ({ params, body }) => engine.disconnect(str(await body(), "workload"), params[0]!)),
    // GET and POST /v1/workloads: placement-routes.ts (they may reach other nodes).
    r("GET", "/v1/workloads/:name", 200, async ({ params, query }) => workloadIn(engine, params[0]!, query)),
    r("DELETE", "/v1/workloads/:name", 200, async ({ params, query }) => {
      const graceMs = graceOf(query);
      if (!workloadIn(engine, params[0]!, query, flag(query, "force"))) return undefined;
      return engine.remove(params[0]!, { missingOk: flag(query, "force"), ...(graceMs !== undefined ? { graceMs } : {}) });
    }),
    r("POST", "/v1/workloads/:name/stop", 200, async ({ params, query }) => workloadIn(engine, params[0]!, query) && engine.stop(params[0]!, graceOf(query))),
    r("POST", "/v1/workloads/:name/start", 200, async ({ params, query }) => workloadIn(engine, params[0]!, query) && engine.startWorkload(params[0]!)),
    // /v1/templates and /v1/scale: template-routes.ts (a template may be another node's).
    r("GET", "/v1/ports", 200, async () => engine.ports()),
    r("GET", "/v1/services", 200, async ({ query }) => engine.listServices(query.get("namespace") ?? undefined)),
    r("POST", "/v1/services", 201, async ({ body }) => engine.createService((await body()) as unknown as ServiceSpec)),
    r("POST", "/v1/services/apply", 200, async ({ body }) => engine.applyServiceManifests(str(await body(), "yaml"))),
    r("POST", "/v1/services/batch", 201, async ({ body }) => engine.createServices((await body()).services as ServiceSpec[])),
    // ?namespace=x picks the service in namespace x (default "default").
    r("GET", "/v1/services/:name", 200, async ({ params, query }) => engine.inspectService(params[0]!, nsOf(query))),
    r("PATCH", "/v1/services/:name", 200, async ({ params, body, query }) => engine.updateService(params[0]!, (await body()) as Partial<ServiceSpec>, nsOf(query))),
    r("DELETE", "/v1/services/:name", 200, async ({ params, query }) => engine.removeService(params[0]!, flag(query, "missingOk"), nsOf(query))),
    r("GET", "/v1/lb-pools", 200, async () => engine.listLbPools()),
    r("POST", "/v1/lb-pools/apply", 200, async ({ body }) => engine.applyLbPools(str(await body(), "yaml"))),
    r("DELETE", "/v1/lb-pools/:name", 200, async ({ params, query }) => engine.removeLbPools([params[0]!], flag(query, "missingOk"))),
    r("GET", "/v1/bgp/policies", 200, async () => engine.listBgpPolicies()),
    r("POST", "/v1/bgp/policies/apply", 200, async ({ body }) => engine.applyBgpPolicies(str(await body(), "yaml"))),
    r("DELETE", "/v1/bgp/policies/:name", 200, async ({ params, query }) => engine.removeBgpPolicies([params[0]!], flag(query, "missingOk"))),
    r("GET", "/v1/bgp/status", 200, async () => engine.bgpStatus()),
    r("GET", "/v1/l2/policies", 200, async () => engine.listL2Policies()),
    r("POST", "/v1/l2/policies/apply", 200, async ({ body }) => engine.applyL2Policies(str(await body(), "yaml"))),
    r("DELETE", "/v1/l2/policies/:name", 200, async ({ params, query }) => engine.removeL2Policies([params[0]!], flag(query, "missingOk"))),
    r("GET", "/v1/l2/status", 200, async () => engine.l2Status()),
    r("GET", "/v1/firewall/rules", 200, async () => engine.firewallRules()),
    r("POST", "/v1/firewall/rules", 201, async ({ body }) => {
      const b = checkShape("firewall rule", await body(), { rule: "string", position: "integer" });
      return engine.addFirewallRule(str(b, "rule"), b.position as number | undefined);
    }),
    r("DELETE", "/v1/firewall/rules/:id", 200, async ({ params }) => engine.removeFirewallRule(count(params[0]!, "rule id"))),
    r("GET", "/v1/namespaces", 200, async () => engine.listNamespaces()),
    r("POST", "/v1/namespaces", 201, async ({ body }) => {
      const b = checkShape("namespace", await body(), { name: "string", labels: "map" });
      return engine.createNamespace(str(b, "name"), b.labels);
    }),
    r("DELETE", "/v1/namespaces/:name", 200, async ({ params, query }) => engine.removeNamespace(params[0]!, { force: flag(query, "force"), missingOk: flag(query, "missingOk") })),
    r("POST", "/v1/namespaces/:name/labels", 200, async ({ params, body }) => engine.labelNamespace(params[0]!, labelEdits(await body()))),
    r("POST", "/v1/workloads/:name/labels", 200, async ({ params, body, query }) => workloadIn(engine, params[0]!, query) && engine.labelWorkload(params[0]!, labelEdits(await body()))),
    r("GET", "/v1/policies", 200, async () => engine.listPolicies()),
    r("POST", "/v1/policies", 201, async ({ body }) => ({ applied: await engine.applyPolicies(str(await body(), "yaml")) })),
    r("GET", "/v1/policies/explain", 200, async ({ query }) =>
      query.has("dns") ? engine.explainDns({ from: query.get("from") ?? "", name: query.get("dns") ?? "" }) : engine.explainPolicy({ from: query.get("from") ?? "", to: query.get("to") ?? "", port: query.get("port") ?? "" })),
    // ?namespace=x, or the namespace in the path: the same policy.
    r("DELETE", "/v1/policies/:name", 200, async ({ params, query }) => engine.removePolicy(`${nsOf(query) ?? "default"}/${params[0]}`, flag(query, "missingOk"))),
    r("DELETE", "/v1/policies/:ns/:name", 200, async ({ params, query }) => engine.removePolicy(`${params[0]}/${params[1]}`, flag(query, "missingOk"))),
    r("GET", "/v1/flows", 0, async ({ query, res }) => streamFlows(engine, flowQuery(query), flag(query, "follow"), query.has("limit") ? count(query.get("limit"), "limit") : DEFAULT_FLOW_LIMIT, res)),
    r("GET", "/v1/policies/log", 0, async ({ query, res }) => streamLogs(engine.policyLogPath(), flag(query, "follow"), res)),
    r("GET", "/v1/flows/status", 200, async () => engine.flowStatus()),
    r("GET", "/metrics", 0, async ({ res }) => {
      res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE });
      res.end(await engine.metrics());
    }),
    r("POST", "/v1/reconcile", 200, async () => engine.reconcile()),
    r("GET", "/v1/dns/records", 200, async ({ query }) => engine.dnsRecords(query.get("network") ?? undefined)),
    r("GET", "/v1/dns/query", 200, async ({ query }) => engine.dnsQuery(query.get("name") ?? "", query.get("type") ?? "A", query.get("from") ?? "")),
    r("POST", "/v1/up", 200, async ({ body }) => {
      const b = await body();
      return engine.up(str(b, "yaml"), str(b, "project"));
    }),
    r("POST", "/v1/down", 200, async ({ body }) => {
      const b = await body();
      return engine.down(str(b, "yaml"), str(b, "project"));
    }),
    // CNI plugin relay (docs/cni.md): answers with the plugin's stdout and an X-Cni-Exit header.
    r("POST", "/v1/cni/:cmd", 0, async ({ params, req, res }) => cni(params[0]!, req, res)),
    r("GET", "/v1/workloads/:name/logs", 0, async ({ params, query, res }) => workloadIn(engine, params[0]!, query) && streamLogs(engine.logPath(params[0]!), flag(query, "follow"), res)),
  ];
}

/**
 * With ?namespace=NS the workload must be in NS (its name is unique across namespaces; the namespace
 * is a check, as `kubectl -n`). Its view, or false when it is elsewhere and `missingOk`.
 */
function workloadIn(engine: Engine, name: string, q: URLSearchParams, missingOk = false) {
  const ns = nsOf(q);
  let view;
  try {
    view = engine.inspect(name);
  } catch (e) {
    if (missingOk && e instanceof EngineError && e.code === "WORKLOAD_NOT_FOUND") return false;
    throw e;
  }
  if (ns === undefined || view.namespace === validateNamespace(ns)) return view;
  if (missingOk) return false;
  throw new EngineError("WORKLOAD_NOT_FOUND", `workload ${name} not found in namespace ${ns} (it is in ${view.namespace})`);
}

/** {set: {k: v}, remove: [k]} */
function labelEdits(body: Record<string, unknown>): { set?: Record<string, string>; remove?: string[] } {
  const b = checkShape("label edits {set: {key: value}, remove: [key]}", body, { set: "map", remove: "string[]" });
  return { set: (b.set ?? {}) as Record<string, string>, remove: (b.remove ?? []) as string[] };
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function flowQuery(q: URLSearchParams): FlowQuery {
  return Object.fromEntries(FLOW_QUERY_KEYS.filter((k) => q.get(k)).map((k) => [k, q.get(k)!]));
}

/**
 * Without follow: a JSON array of the newest `limit` matching records. With follow: those as
 * JSON lines, then each new matching record as it is recorded, until the client leaves.
 */
const FOLLOW_BUFFER_BYTES = 4 * 1024 * 1024;

async function streamFlows(engine: Engine, q: FlowQuery, follow: boolean, limit: number, res: ServerResponse): Promise<void> {
  const past = engine.observe(q, limit);
  if (!follow) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(past));
    return;
  }
  // A follower that reads too slowly must not grow pontond's memory: past FOLLOW_BUFFER_BYTES
  // unsent, records are skipped for it and a `{"lost":N}` line says how many.
  let skipped = 0;
  const stop = engine.followFlows(q, (r) => {
    if (res.writableLength > FOLLOW_BUFFER_BYTES) {
      skipped++;
      return;
    }
    if (skipped) res.write(`{"lost":${skipped}}\n`);
    skipped = 0;
    res.write(JSON.stringify(r) + "\n");
  });
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  for (const r of past) res.write(JSON.stringify(r) + "\n");
  res.on("close", stop);
}

/** Logs are plain text; with follow, new lines are sent as they are written until the client leaves. */
async function streamLogs(file: string, follow: boolean, res: ServerResponse): Promise<void> {
  await fs.appendFile(file, "");
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  let offset = 0;
  const pump = () =>
    new Promise<void>((resolve) => {
      const s = createReadStream(file, { start: offset });
      s.on("data", (d) => {
        offset += (d as Buffer).length;
        res.write(d);
      });
      s.on("end", () => resolve());
      s.on("error", () => resolve());
    });
  await pump();
  if (!follow) {
    res.end();
    return;
  }
  let busy = Promise.resolve();
  const watcher = watch(file, () => {
    busy = busy.then(pump);
  });
  res.on("close", () => watcher.close());
}
