// The proxy process on loopback (no kernel redirect needed: a client connects to a listener
// directly): Cilium's 403 answer, records to the connected pontond, a listener renumbered onto
// another backend in one sync.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { L7Listener } from "../policy";
import type { ProxyReply } from "./proxy-protocol";

const listen = (name: string) => new Promise<http.Server>((r) => { const s = http.createServer((_q, res) => res.end(name)).listen(0, "127.0.0.1", () => r(s)); });
const portOf = (s: http.Server) => (s.address() as net.AddressInfo).port;
const request = (port: number, method = "GET") => new Promise<{ status: number; body: string; type?: string }>((resolve) => {
  const q = http.request({ host: "127.0.0.1", port, method, path: "/", agent: false }, (res) => {
    let body = "";
    res.on("data", (d) => (body += d));
    res.on("end", () => resolve({ status: res.statusCode!, body, type: res.headers["content-type"] }));
  });
  q.on("error", (e) => resolve({ status: 0, body: String(e) }));
  q.end();
});
/** Free loopback ports for the listeners (pontond numbers them; here the kernel picks). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => r(s)); })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

test("403 Access denied, records to pontond, and a listener moved onto another backend in one sync", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "l7proxy-"));
  const sock = path.join(dir, "proxy.sock");
  const [a, b] = await Promise.all([listen("A"), listen("B")]);
  const [p1, p2] = await freePorts(2);
  const proxy = spawn(process.execPath, [path.join(__dirname, "proxy-main.js"), sock], { stdio: "inherit" });
  const L = (port: number, backend: http.Server): L7Listener => ({ listen: port, ip: "127.0.0.1", port: portOf(backend), workload: "x/w", sources: [{ ranges: [[0, 2 ** 32 - 1]], http: [{ method: "GET" }], rule: { policy: "cnp:x/p", direction: "ingress", ruleIndex: 0 } }] });
  try {
    let c: net.Socket | undefined;
    for (let i = 0; i < 100 && !c; i++) {
      c = await new Promise<net.Socket | undefined>((r) => { const s = net.connect(sock, () => r(s)); s.once("error", () => r(undefined)); });
      if (!c) await new Promise((r) => setTimeout(r, 30));
    }
    assert.ok(c, "the proxy's control socket");
    const replies: ProxyReply[] = [];
    let buf = "";
    c.on("data", (d) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) { replies.push(JSON.parse(buf.slice(0, nl)) as ProxyReply); buf = buf.slice(nl + 1); }
    });
    const sync = async (id: number, listeners: L7Listener[]) => {
      c!.write(`${JSON.stringify({ id, op: "sync", listeners })}\n`);
      while (!replies.some((r) => "id" in r && r.id === id)) await new Promise((r) => setTimeout(r, 10));
      return replies.find((r) => "id" in r && r.id === id)!;
    };
    assert.deepEqual(await sync(1, [L(p1!, a)]), { id: 1, results: [{ listen: p1 }] });
    assert.deepEqual(await request(p1!), { status: 200, body: "A", type: undefined });
    assert.deepEqual(await request(p1!, "DELETE"), { status: 403, body: "Access denied\r\n", type: "text/plain" });
    // Renumbered: p1 now fronts B, p2 fronts A.
    assert.deepEqual(await sync(2, [L(p1!, b), L(p2!, a)]), { id: 2, results: [{ listen: p1 }, { listen: p2 }] });
    assert.equal((await request(p1!)).body, "B");
    assert.equal((await request(p2!)).body, "A");
    while (replies.filter((r) => "records" in r).flatMap((r) => ("records" in r ? r.records : [])).length < 4) await new Promise((r) => setTimeout(r, 20));
    const records = replies.flatMap((r) => ("records" in r ? r.records : []));
    assert.deepEqual(records.map((e) => [e.method, e.status, e.verdict, e.dport]), [["GET", 200, "FORWARDED", portOf(a)], ["DELETE", 403, "DROPPED", portOf(a)], ["GET", 200, "FORWARDED", portOf(b)], ["GET", 200, "FORWARDED", portOf(a)]]);
    c.destroy();
  } finally {
    proxy.kill("SIGKILL");
    a.close();
    b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
