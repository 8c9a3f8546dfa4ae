import { test } from "node:test";
import assert from "node:assert/strict";
import { haproxyConfig, sectionName } from "./haproxy-config";
import type { L7Listener } from "../policy";

const rule = (i: number) => ({ policy: "cnp:default/rule1", direction: "ingress" as const, ruleIndex: i });

test("a listener: its frontend, a backend with its sources in order (each HTTP rule one set-var line), Cilium's 403, the workload as the server", () => {
  const l: L7Listener = {
    listen: 15100, ip: "10.0.0.2", port: 80, direction: "ingress", workload: "default/deathstar",
    sources: [
      { cidrs: ["10.0.0.3/32"], http: [{ method: "POST", path: "/v1/request-landing" }, { method: "GET", path: "/it's", host: "d", headers: ["X-Token: 4.2'", "X-Trace", "bad name"] }], rule: rule(0) },
      { cidrs: [], rule: rule(1) },
      { cidrs: ["10.0.0.5/32"], rule: rule(2) },
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

test("an IPv6 workload's listener: its own IPv6 listening socket, the address in brackets, IPv6 peers, the client's IPv6 address as the source", () => {
  const l: L7Listener = { listen: 15101, ip: "fd00::2", port: 80, direction: "ingress", workload: "default/deathstar", sources: [{ cidrs: ["fd00::3/128", "fd00::4/127"], http: [{ method: "POST" }], rule: rule(0) }] };
  const text = haproxyConfig([l], { pid: "/s/p", admin: "/s/a", log: "/s/l" }, () => true);
  const section = text.slice(text.indexOf("frontend l7_in_15101"));
  assert.equal(section, `frontend l7_in_15101
  bind [::]:15101 v6only
  bind [fd00::2]:80 transparent
  capture request header Host len 256
  default_backend l7_fd00::2:80
backend l7_fd00::2:80
  acl src0 src fd00::3/128 fd00::4/127
  http-request set-var(txn.rule) int(0) if !{ var(txn.rule) -m found } src0 { method -m reg '^(?:POST)$' }
  http-request deny deny_status 403 content-type text/plain string "Access denied\\r\\n" if !{ var(txn.rule) -m found }
  source [::] usesrc clientip
  http-reuse never
  server workload [fd00::2]:80
`);
});

test("an egress listener: a transparent bind (TPROXY), the destinations as dst ACLs, the connection's own destination as the server; no local subnet: from this host", () => {
  const l: L7Listener = { listen: 15102, ip: "10.0.0.3", port: 80, direction: "egress", workload: "default/tiefighter", sources: [{ cidrs: ["10.0.0.2/32"], http: [{ method: "GET" }], rule: rule(0) }] };
  const text = haproxyConfig([l], { pid: "/s/p", admin: "/s/a", log: "/s/l" }, () => true);
  assert.equal(text.slice(text.indexOf("frontend l7_in_15102")), `frontend l7_in_15102
  bind 0.0.0.0:15102 transparent
  capture request header Host len 256
  default_backend l7e_10.0.0.3:80
backend l7e_10.0.0.3:80
  acl src0 dst 10.0.0.2/32
  http-request set-var(txn.rule) int(0) if !{ var(txn.rule) -m found } src0 { method -m reg '^(?:GET)$' }
  http-request deny deny_status 403 content-type text/plain string "Access denied\\r\\n" if !{ var(txn.rule) -m found }
  server destination 0.0.0.0
`);
});

test("an egress listener of a client on this host's networks: destinations in their subnets (of its family) from the client's address, others from this host", () => {
  const l: L7Listener = { listen: 15103, ip: "fd00::3", port: 80, direction: "egress", workload: "default/tiefighter", sources: [{ cidrs: ["fd00::2/128"], rule: rule(0) }] };
  const text = haproxyConfig([l], { pid: "/s/p", admin: "/s/a", log: "/s/l" }, () => true, [], ["10.0.0.0/24", "fd00::/64", "fd01::/64"]);
  assert.ok(text.includes(`  bind [::]:15103 v6only transparent
`), text);
  assert.ok(text.endsWith(`  use-server near if { dst fd00::/64 fd01::/64 }
  http-reuse never
  server near 0.0.0.0 weight 0 source [::] usesrc clientip
  server destination 0.0.0.0
`), text);
  // A client HAProxy cannot bring answers back to (not on a bridge or routed network here): from this host.
  assert.ok(haproxyConfig([l], { pid: "/s/p", admin: "/s/a", log: "/s/l" }, () => false, [], ["fd00::/64"]).endsWith("  server destination 0.0.0.0\n"));
});

test("this host's addresses: one `host` ACL per backend; peers' sources exclude it, host sources match only it", () => {
  const l: L7Listener = { listen: 15100, ip: "10.0.0.2", port: 80, direction: "ingress", workload: "default/deathstar", sources: [{ cidrs: ["0.0.0.0/0"], http: [{ method: "GET" }], rule: rule(0) }, { cidrs: [], host: true }] };
  const text = haproxyConfig([l], { pid: "/s/p", admin: "/s/a", log: "/s/l" }, () => false, ["10.0.0.1", "fd00::1", "127.0.0.1"]);
  assert.match(text, /^  gid 151510$/m);
  assert.ok(text.includes(`backend l7_10.0.0.2:80
  acl host src 10.0.0.1 127.0.0.1
  acl src0 src 0.0.0.0/0
  http-request set-var(txn.rule) int(0) if !{ var(txn.rule) -m found } !host src0 { method -m reg '^(?:GET)$' }
  http-request set-var(txn.rule) int(1) if !{ var(txn.rule) -m found } host
`), text);
  // No host address known: a host source matches nothing.
  assert.doesNotMatch(haproxyConfig([l], { pid: "/s/p", admin: "/s/a", log: "/s/l" }), /int\(1\)|acl host/);
});
