import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePortSpec, portsCollide, formatPort } from "./ports";

test("port specs: plain, bound address, protocol, ranges", () => {
  assert.deepEqual(parsePortSpec("8080:80"), [{ hostPort: 8080, containerPort: 80, protocol: "tcp", allowFrom: [] }]);
  assert.deepEqual(parsePortSpec("127.0.0.1:53:53/udp"), [{ hostIp: "127.0.0.1", hostPort: 53, containerPort: 53, protocol: "udp", allowFrom: [] }]);
  assert.deepEqual(parsePortSpec("[::1]:8080:80")[0]!.hostIp, "::1");
  const r = parsePortSpec("8001-8003:5678");
  assert.deepEqual(r.map(formatPort), ["8001:5678/tcp", "8002:5678/tcp", "8003:5678/tcp"]);
  assert.deepEqual(parsePortSpec("9000-9001:80-81").map((p) => p.containerPort), [80, 81]);
});

test("bad port specs are rejected with INVALID_PORT", () => {
  for (const bad of ["80", "0:80", "70000:80", "8080:80/sctp", "9000-9002:80-81", "9002-9000:80", "x:80", "1.2.3.999:80:80"]) {
    assert.throws(() => parsePortSpec(bad), (e: { code?: string }) => e.code === "INVALID_PORT" || e.code === "INVALID_ARGUMENT", bad);
  }
});

test("collisions follow protocol, port and address overlap", () => {
  const [all] = parsePortSpec("8080:80");
  const [lo] = parsePortSpec("127.0.0.1:8080:80");
  const [lo2] = parsePortSpec("127.0.0.2:8080:80");
  const [udp] = parsePortSpec("8080:80/udp");
  const [v6] = parsePortSpec("[::1]:8080:80");
  assert.ok(portsCollide(all!, lo!));
  assert.ok(!portsCollide(lo!, lo2!));
  assert.ok(!portsCollide(all!, udp!));
  assert.ok(!portsCollide(lo!, v6!));
  assert.ok(portsCollide(all!, v6!));
});
