// The web app's pure parts (web/filter-terms.ts, web/layout.ts), bundled by esbuild for Node here
// as they are for the browser at build time.
import { test } from "node:test";
import assert from "node:assert/strict";
import Module from "node:module";
import path from "node:path";
import { buildSync } from "esbuild";

const WEB = path.join(__dirname, "../../../../web");

function load<T>(file: string): T {
  const out = buildSync({ entryPoints: [path.join(WEB, file)], bundle: true, format: "cjs", platform: "node", write: false, logLevel: "silent" });
  const m = new Module(file) as Module & { _compile(code: string, name: string): void };
  m._compile(out.outputFiles[0]!.text, file);
  return m.exports as T;
}

type Flow = Record<string, unknown>;
const { parseTerms, flowMatches } = load<{ parseTerms(t: string): unknown[]; flowMatches(f: Flow, t: unknown[]): boolean }>("filter-terms.ts");
const { buildMap } = load<{ buildMap(ns: string, w: unknown[], s: unknown[], f: unknown[]): { nodes: { id: string; x: number; y: number }[]; edges: { id: string; dropped: number; forwarded: number; ports: string[] }[] } }>("layout.ts");

const end = (workload: string, ns: string, app: string, ip: string, port?: number) => ({ ip, workload, namespace: ns, labels: { app }, ...(port ? { port } : {}) });
const flow = (seq: number, from: ReturnType<typeof end>, to: ReturnType<typeof end>, verdict = "FORWARDED", policies: string[] = []) => ({ seq, time: "2026-01-01T00:00:00.000Z", verdict, protocol: "tcp", source: from, destination: to, interfaces: {}, summary: "", policies });
const client = end("client-1", "shop", "client", "10.0.0.3", 40000);
const stranger = end("stranger", "shop", "stranger", "10.0.0.4", 40001);
const web = end("web", "shop", "web", "10.0.0.2", 80);
const db = end("db", "data", "db", "10.0.1.2", 5432);
const flows = [flow(1, client, web), flow(2, stranger, web, "DROPPED", ["shop/web-from-client"]), flow(3, web, db)];
const match = (text: string) => flows.filter((f) => flowMatches(f, parseTerms(text))).map((f) => f.seq);

test("filter terms: labels, ip, pod prefix, namespace, port, dns, verdict, policy; ANDed; from:/to:", () => {
  assert.deepEqual(match(""), [1, 2, 3]);
  assert.deepEqual(match("app=web"), [1, 2, 3]);
  assert.deepEqual(match("from:app=web"), [3]);
  assert.deepEqual(match("to:app=web"), [1, 2]);
  assert.deepEqual(match("ip=10.0.0.4"), [2]);
  assert.deepEqual(match("pod=cli"), [1]);
  assert.deepEqual(match("namespace=data"), [3]);
  assert.deepEqual(match("port=5432"), [3]);
  assert.deepEqual(match("dns=web.shop"), [1, 2, 3]);
  assert.deepEqual(match("dns=db.shop"), []);
  assert.deepEqual(match("verdict=dropped"), [2]);
  assert.deepEqual(match("verdict=denied"), [2]);
  assert.deepEqual(match("policy=shop/web-from-client"), [2]);
  assert.deepEqual(match("app=web, from:app=client"), [1]);
  assert.deepEqual(match("app=web ip=10.0.1.2"), [3]);
});

test("service map: groups by replica/app, outside peers, edges with ports and drops; deterministic", () => {
  const workloads = [
    { name: "client-1", namespace: "shop", labels: { app: "client" }, replicaOf: "client", networks: [] },
    { name: "stranger", namespace: "shop", labels: { app: "stranger" }, networks: [] },
    { name: "web", namespace: "shop", labels: { app: "web" }, networks: [] },
    { name: "db", namespace: "data", labels: { app: "db" }, networks: [] },
  ];
  const m = buildMap("shop", workloads, [], flows);
  assert.deepEqual(m.nodes.map((n) => n.id).sort(), ["grp:client", "grp:stranger", "grp:web", "out:data/db"]);
  assert.deepEqual(m.edges.map((e) => [e.id, e.forwarded, e.dropped, e.ports.join()]), [
    ["grp:client>grp:web", 1, 0, "80/tcp"],
    ["grp:stranger>grp:web", 0, 1, "80/tcp"],
    ["grp:web>out:data/db", 1, 0, "5432/tcp"],
  ]);
  // Senders left of receivers; the same input draws the same map.
  const at = new Map(m.nodes.map((n) => [n.id, n]));
  assert.ok(at.get("grp:client")!.x < at.get("grp:web")!.x && at.get("grp:web")!.x < at.get("out:data/db")!.x);
  assert.deepEqual(buildMap("shop", [...workloads].reverse(), [], flows), m);
  const withService = buildMap("shop", workloads, [{ name: "web", namespace: "shop", ports: [{ port: 80, protocol: "TCP" }], endpoints: [{ workload: "web", ip: "10.0.0.2", healthy: true }], ready: 1 }], flows);
  assert.deepEqual(withService.edges.filter((e) => e.id.includes("~>")).map((e) => [e.id, e.ports.join()]), [["svc:web~>grp:web", "80/tcp"]]);
  const all = buildMap("*", workloads, [], flows);
  assert.ok(all.edges.some((e) => e.id === "grp:shop/web>grp:data/db"));
});

test("DNS queries/s from the server's running total between two polls", () => {
  const { queryRate } = load<{ queryRate(p: { queries: number; at: number } | undefined, n: { queries: number; at: number }): number }>("query-rate.ts");
  assert.equal(queryRate(undefined, { queries: 50, at: 1000 }), 0, "no rate before the second poll");
  assert.equal(queryRate({ queries: 50, at: 1000 }, { queries: 80, at: 4000 }), 10);
  assert.equal(queryRate({ queries: 80, at: 4000 }, { queries: 3, at: 7000 }), 0, "a restarted daemon counts from 0 again");
});

test("the flow buffer: first page, whole buffer and live events merge by sequence, each once, newest kept", () => {
  const { mergeFlows } = load<{ mergeFlows(c: { seq: number }[], i: { seq: number }[], cap: number): { seq: number }[] }>("flow-buffer.ts");
  const seqs = (xs: { seq: number }[]) => xs.map((x) => x.seq);
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => ({ seq: a + i }));
  const firstPage = mergeFlows([], range(91, 100), 50);
  const live = mergeFlows(firstPage, range(99, 103), 50);
  assert.deepEqual(seqs(live), seqs(range(91, 103)), "live events overlapping the first page count once");
  const whole = mergeFlows(live, range(1, 100), 50);
  assert.deepEqual(seqs(whole), seqs(range(54, 103)), "the older buffer fills in behind, capped to the newest");
  assert.deepEqual(seqs(mergeFlows(whole, [], 50)), seqs(whole));
});

test("L7: a flow's HTTP or DNS part labels the row, filters by method/path/status/name, and lists on the map edge", () => {
  const { l7Label } = load<{ l7Label(f: Flow): string }>("l7-label.ts");
  const end = (workload: string, port?: number) => ({ ip: "10.0.0.2", workload, namespace: "empire", labels: { app: workload }, ...(port ? { port } : {}) });
  const http = (seq: number, method: string, url: string, status: number) => ({ seq, time: "2026-12-07T08:00:00.000Z", verdict: status === 403 ? "DROPPED" : "FORWARDED", ipVersion: 4, protocol: "tcp", source: end("tiefighter"), destination: end("deathstar", 80), interfaces: {}, summary: "", policies: [], l7: { type: "http", method, url, status, latencyMs: 1 } });
  const landing = http(1, "POST", "/v1/request-landing", 200);
  const exhaust = http(2, "PUT", "/v1/exhaust-port", 403);
  const query = { ...http(3, "GET", "/", 200), l7: undefined, protocol: "dns", dns: { query: "api.example.com.", type: "A", verdict: "REFUSED" } };
  assert.equal(l7Label(landing), "POST /v1/request-landing → 200");
  assert.equal(l7Label(query), "DNS A api.example.com REFUSED");
  assert.equal(l7Label({ ...landing, l7: undefined }), "");
  const pick = (filter: string) => [landing, exhaust, query].filter((f) => flowMatches(f, parseTerms(filter))).map((f) => f.seq);
  assert.deepEqual(pick("http-method=put"), [2]);
  assert.deepEqual(pick("http-path=/v1/request"), [1]);
  assert.deepEqual(pick("http-status=403"), [2]);
  assert.deepEqual(pick("dns=api.example"), [3], "a DNS flow by its query name");
  assert.deepEqual(pick("dns=deathstar.empire"), [1, 2], "other flows by their endpoints' DNS names, as before");
  const m = buildMap("empire", [{ name: "tiefighter", namespace: "empire", labels: { app: "tiefighter" }, networks: [] }, { name: "deathstar", namespace: "empire", labels: { app: "deathstar" }, networks: [] }], [], [landing, exhaust, http(4, "POST", "/v1/request-landing?x=1", 200)]) as unknown as { edges: { l7: string[] }[] };
  assert.deepEqual(m.edges[0]!.l7, ["POST /v1/request-landing", "PUT /v1/exhaust-port"]);
});

test("filter terms: dns=NAME also matches the DNS flows of that name or names under it", () => {
  const q = { ...flow(4, client, end("resolver", "", "", "10.0.0.1", 53)), protocol: "dns", dns: { query: "api.stripe.com", type: "A", verdict: "REFUSED" } };
  const hit = (text: string) => flowMatches(q, parseTerms(text));
  assert.equal(hit("dns=api.stripe.com"), true);
  assert.equal(hit("dns=stripe.com"), true);
  assert.equal(hit("dns=tripe.com"), false);
  assert.equal(hit("dns=web.shop"), false);
});
