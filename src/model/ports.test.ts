import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePortSpec, portsCollide, formatPort, portFamilies, validatePortMapping, RANDOM_PORT } from "./ports";

test("port specs: plain, bound address, protocol, ranges", () => {
  assert.deepEqual(parsePortSpec("8080:80"), [{ hostPort: 8080, containerPort: 80, protocol: "tcp", allowFrom: [] }]);
  assert.deepEqual(parsePortSpec("127.0.0.1:53:53/udp"), [{ hostIp: "127.0.0.1", hostPort: 53, containerPort: 53, protocol: "udp", allowFrom: [] }]);
  assert.deepEqual(parsePortSpec("[::1]:8080:80")[0]!.hostIp, "::1");
  const r = parsePortSpec("8001-8003:5678");
  assert.deepEqual(r.map(formatPort), ["8001:5678/tcp", "8002:5678/tcp", "8003:5678/tcp"]);
  assert.deepEqual(parsePortSpec("9000-9001:80-81").map((p) => p.containerPort), [80, 81]);
});

test("bad port specs are rejected with INVALID_PORT", () => {
  for (const bad of ["0:80", "70000:80", "8080:80/sctp", "9000-9002:80-81", "9002-9000:80", "x:80", "1.2.3.999:80:80"]) {
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

test("no host port asks for a free one: `80`, `127.0.0.1::80/udp`, `[::1]::80`, a container range", () => {
  assert.deepEqual(parsePortSpec("80"), [{ hostPort: RANDOM_PORT, containerPort: 80, protocol: "tcp", allowFrom: [] }]);
  assert.deepEqual(parsePortSpec("127.0.0.1::53/udp"), [{ hostIp: "127.0.0.1", hostPort: RANDOM_PORT, containerPort: 53, protocol: "udp", allowFrom: [] }]);
  assert.equal(parsePortSpec("[::1]::80")[0]!.hostIp, "::1");
  assert.deepEqual(parsePortSpec("80-82").map((p) => [p.hostPort, p.containerPort]), [[0, 80], [0, 81], [0, 82]]);
  assert.equal(formatPort(parsePortSpec("80")[0]!), "80/tcp");
  assert.equal(formatPort(parsePortSpec("127.0.0.1::53/udp")[0]!), "127.0.0.1::53/udp");
  assert.equal(validatePortMapping({ containerPort: 80 }).hostPort, RANDOM_PORT);
  // Two random ports never collide before they are picked.
  assert.ok(!portsCollide(parsePortSpec("80")[0]!, parsePortSpec("81")[0]!));
});

test("0.0.0.0 is every IPv4 address, :: every IPv6 one", () => {
  const [v4] = parsePortSpec("0.0.0.0:8080:80");
  const [v6] = parsePortSpec("[::]:8080:80");
  const [all] = parsePortSpec("8080:80");
  const [lo] = parsePortSpec("127.0.0.1:8080:80");
  const [lo6] = parsePortSpec("[::1]:8080:80");
  assert.equal(v6!.hostIp, "::");
  assert.deepEqual(portFamilies(v4!), [4]);
  assert.deepEqual(portFamilies(v6!), [6]);
  assert.deepEqual(portFamilies(all!), [4, 6]);
  assert.ok(portsCollide(v4!, lo!) && portsCollide(v4!, all!) && !portsCollide(v4!, lo6!) && !portsCollide(v4!, v6!));
  assert.ok(portsCollide(v6!, lo6!) && portsCollide(v6!, all!) && !portsCollide(v6!, lo!));
});

test("a range is bounded by --max-port-range and reaches below 1024 only when asked", () => {
  const code = (f: () => unknown) => {
    try {
      f();
      return "ok";
    } catch (e) {
      return (e as { code: string }).code;
    }
  };
  assert.equal(code(() => parsePortSpec("1-65535:1-65535")), "PORT_RANGE_TOO_LARGE");
  assert.equal(code(() => parsePortSpec("10000-11000:80")), "PORT_RANGE_TOO_LARGE");
  assert.equal(parsePortSpec("10000-10999:80").length, 1000);
  assert.equal(code(() => parsePortSpec("8000-8010", [], { maxRange: 10, privilegedRanges: false })), "PORT_RANGE_TOO_LARGE");
  assert.equal(code(() => parsePortSpec("1000-1030:1000-1030")), "PRIVILEGED_PORT_RANGE");
  assert.equal(code(() => parsePortSpec("1-1023:1-1023", [], { maxRange: 1000, privilegedRanges: true })), "PORT_RANGE_TOO_LARGE");
  assert.equal(parsePortSpec("1000-1030:1000-1030", [], { maxRange: 1000, privilegedRanges: true }).length, 31);
  // Single ports are explicit: any is allowed, as Docker does.
  assert.equal(code(() => parsePortSpec("80:80")), "ok");
  assert.equal(code(() => parsePortSpec("1024-1030:80")), "ok");
});
