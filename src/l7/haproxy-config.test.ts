import { test } from "node:test";
import assert from "node:assert/strict";
import { haproxyConfig, rangeToCidrs, sectionName } from "./haproxy-config";
import type { L7Listener } from "../policy";

const ip = (s: string) => s.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const rule = (i: number) => ({ policy: "cnp:default/rule1", direction: "ingress" as const, ruleIndex: i });

test("address ranges become the fewest CIDR blocks", () => {
  assert.deepEqual(rangeToCidrs(ip("10.0.0.3"), ip("10.0.0.3")), ["10.0.0.3/32"]);
  assert.deepEqual(rangeToCidrs(0, 2 ** 32 - 1), ["0.0.0.0/0"]);
  assert.deepEqual(rangeToCidrs(ip("10.0.0.3"), ip("10.0.0.9")), ["10.0.0.3/32", "10.0.0.4/30", "10.0.0.8/31"]);
  assert.deepEqual(rangeToCidrs(ip("10.0.0.0"), ip("10.0.1.255")), ["10.0.0.0/23"]);
});

test("a listener: its frontend, a backend with its sources in order (each HTTP rule one set-var line), Cilium's 403, the workload as the server", () => {
  const l: L7Listener = {
    listen: 15100, ip: "10.0.0.2", port: 80, workload: "default/deathstar",
    sources: [
      { ranges: [[ip("10.0.0.3"), ip("10.0.0.3")]], http: [{ method: "POST", path: "/v1/request-landing" }, { method: "GET", path: "/it's", host: "d", headers: ["X-Token: 4.2'", "X-Trace", "bad name"] }], rule: rule(0) },
      { ranges: [], rule: rule(1) },
      { ranges: [[ip("10.0.0.5"), ip("10.0.0.5")]], rule: rule(2) },
    ],
  };
  const text = haproxyConfig([l], { pid: "/s/p", admin: "/s/a", log: "/s/l" });
  const section = text.slice(text.indexOf("frontend l7_in_15100"));
  assert.equal(section, `frontend l7_in_15100
  bind 0.0.0.0:15100
  bind 10.0.0.2:80 transparent
  capture request header Host len 256
  default_backend ${sectionName(l)}
backend l7_10.0.0.2:80
  acl src0 src 10.0.0.3/32
  http-request set-var(txn.rule) int(0) if !{ var(txn.rule) -m found } src0 { method -m reg '^(?:POST)$' } { url -m reg '^(?:/v1/request-landing)$' }
  http-request set-var(txn.rule) int(0) if !{ var(txn.rule) -m found } src0 { method -m reg '^(?:GET)$' } { url -m reg '^(?:/it\\x27s)$' } { req.fhdr(host) -m reg '^(?:d)$' } { req.fhdr(X-Token) -m reg '^4\\x{2e}2\\x{27}$' } { req.fhdr(X-Trace) -m found } FALSE
  acl src2 src 10.0.0.5/32
  http-request set-var(txn.rule) int(2) if !{ var(txn.rule) -m found } src2
  http-request deny deny_status 403 content-type text/plain string "Access denied\\r\\n" if !{ var(txn.rule) -m found }
  server workload 10.0.0.2:80
`);
  // Reached from the client's own address where the kernel brings the answers back, over a server
  // connection of that client connection's own (kept alive, never shared).
  assert.match(haproxyConfig([l], { pid: "/s/p", admin: "/s/a", log: "/s/l" }, () => true), /^  source 0\.0\.0\.0 usesrc clientip\n  http-reuse never\n  server workload 10\.0\.0\.2:80$/m);
  assert.doesNotMatch(text, /http-reuse/);
  assert.match(text, /^  server pontond unix@\/s\/l$/m);
  assert.match(text, /^  stats socket \/s\/a mode 600 level admin expose-fd listeners$/m);
});
