// HAProxy with a generated configuration on loopback (no kernel redirect needed: a client connects
// to a listener directly): Cilium's rule semantics and 403, its log lines as pontond reads them,
// a reload that moves a listener onto another backend, a soft stop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { alive, HaproxyProcess } from "./haproxy-process";
import { parseHaproxyLog } from "./haproxy-log";
import type { L7Listener } from "../policy";

const listen = (name: string) => new Promise<http.Server>((r) => { const s = http.createServer((q, res) => res.end(`${name} ${q.method} ${q.url}`)).listen(0, "127.0.0.1", () => r(s)); });
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const request = (port: number, method = "GET", url = "/", headers: Record<string, string> = {}) => new Promise<{ status: number; body: string; type?: string }>((resolve) => {
  const q = http.request({ host: "127.0.0.1", port, method, path: url, headers, agent: false }, (res) => {
    let body = "";
    res.on("data", (d) => (body += d));
    res.on("end", () => resolve({ status: res.statusCode!, body, type: res.headers["content-type"] }));
  });
  q.on("error", (e) => resolve({ status: 0, body: String(e) }));
  q.end();
});
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => r(s)); })));
  const ports = servers.map(portOf);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
const rule = (i: number) => ({ policy: "cnp:x/p", direction: "ingress" as const, ruleIndex: i });

test("HAProxy: Cilium's HTTP rule semantics, 403 Access denied, log lines, reload onto another backend, soft stop", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "h7hap-"));
  const [a, b] = await Promise.all([listen("A"), listen("B")]);
  const [p1, p2] = await freePorts(2);
  const hap = new HaproxyProcess(dir, path.join(dir, "haproxy.log"), { bind: "127.0.0.1", noForeign: true });
  const lines: string[] = [];
  const logServer = net.createServer((c) => c.on("data", (d) => lines.push(...d.toString().split("\n").filter(Boolean)))).listen(hap.paths.log);
  const L = (port: number, backend: http.Server): L7Listener => ({
    listen: port, ip: "127.0.0.1", port: portOf(backend), direction: "ingress", workload: "x/w",
    sources: [
      // Never this client: its "every request" must not admit anything.
      { cidrs: ["10.0.0.0/32"], rule: rule(0) },
      { cidrs: ["127.0.0.0/8"], http: [{ method: "GET|HEAD", path: "/public/.*" }, { method: "POST", path: "/v1/request-landing", host: "deathstar(\\.default)?(:\\d+)?", headers: ["X-Token: 42", "X-Trace"] }], rule: rule(1) },
    ],
  });
  let master: number | undefined;
  t.after(async () => {
    for (const pid of [hap.masterPid(), master]) if (pid && alive(pid)) process.kill(pid, "SIGKILL");
    a.closeAllConnections();
    b.closeAllConnections();
    a.close();
    b.close();
    logServer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(await hap.apply([L(p1!, a)]), "started");
  assert.equal(await hap.apply([L(p1!, a)]), "unchanged");
  assert.equal((await request(p1!, "GET", "/public/x?y=1")).body, "A GET /public/x?y=1");
  assert.deepEqual(await request(p1!, "DELETE", "/public/x"), { status: 403, body: "Access denied\r\n", type: "text/plain" });
  // Anchored: a longer or shorter method or path is another one.
  assert.equal((await request(p1!, "GETX", "/public/x")).status, 403);
  assert.equal((await request(p1!, "GET", "/x/public/x")).status, 403);
  const ok = { host: "deathstar.default", "x-token": "42", "x-trace": "" };
  assert.equal((await request(p1!, "POST", "/v1/request-landing", ok)).status, 200);
  assert.equal((await request(p1!, "POST", "/v1/request-landing?x=1", ok)).status, 403);
  assert.equal((await request(p1!, "POST", "/v1/request-landing", { ...ok, host: "evil" })).status, 403);
  assert.equal((await request(p1!, "POST", "/v1/request-landing", { ...ok, "x-token": "43" })).status, 403);
  assert.equal((await request(p1!, "POST", "/v1/request-landing", { host: "deathstar", "x-token": "42" })).status, 403);

  // Renumbered in one reload: p1 now fronts B, p2 fronts A.
  assert.equal(await hap.apply([L(p1!, b), L(p2!, a)]), "reloaded");
  assert.equal((await request(p1!, "GET", "/public/")).body, "B GET /public/");
  assert.equal((await request(p2!, "GET", "/public/")).body, "A GET /public/");

  for (let i = 0; i < 200 && lines.length < 11; i++) await new Promise((r) => setTimeout(r, 20));
  // HAProxy writes a request's line when its connection ends, so lines can come out of request order.
  const parsed = lines.map(parseHaproxyLog);
  const byText = (rows: unknown[]) => rows.map((r) => JSON.stringify(r) ?? "").sort();
  assert.deepEqual(byText(parsed.map((p) => p && [p.section, p.event.method, p.event.status, p.event.verdict, p.source])), byText([
    [`l7_127.0.0.1:${portOf(a)}`, "GET", 200, "FORWARDED", 1],
    [`l7_127.0.0.1:${portOf(a)}`, "DELETE", 403, "DROPPED", undefined],
    [`l7_127.0.0.1:${portOf(a)}`, "GETX", 403, "DROPPED", undefined],
    [`l7_127.0.0.1:${portOf(a)}`, "GET", 403, "DROPPED", undefined],
    [`l7_127.0.0.1:${portOf(a)}`, "POST", 200, "FORWARDED", 1],
    [`l7_127.0.0.1:${portOf(a)}`, "POST", 403, "DROPPED", undefined],
    [`l7_127.0.0.1:${portOf(a)}`, "POST", 403, "DROPPED", undefined],
    [`l7_127.0.0.1:${portOf(a)}`, "POST", 403, "DROPPED", undefined],
    [`l7_127.0.0.1:${portOf(a)}`, "POST", 403, "DROPPED", undefined],
    [`l7_127.0.0.1:${portOf(b)}`, "GET", 200, "FORWARDED", 1],
    [`l7_127.0.0.1:${portOf(a)}`, "GET", 200, "FORWARDED", 1],
  ]));
  assert.ok(parsed.some((p) => p?.event.method === "GET" && p.event.url === "/public/x?y=1"));
  assert.ok(parsed.some((p) => p?.event.method === "POST" && p.event.status === 200 && p.event.host === "deathstar.default"));

  master = hap.masterPid()!;
  // The backends' idle keep-alive connections from HAProxy's pool are not work in flight.
  a.closeIdleConnections();
  b.closeIdleConnections();
  assert.equal(await hap.apply([]), "stopped");
  assert.equal(hap.masterPid(), undefined);
  for (let i = 0; i < 250 && alive(master); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(master), false, "the master exits once its workers are idle");
});
