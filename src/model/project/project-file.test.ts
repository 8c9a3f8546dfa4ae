import { test } from "node:test";
import assert from "node:assert/strict";
import { parseProjectFile } from "./project-file";

test("a project file parses networks, workloads and user rules", () => {
  const p = parseProjectFile(
    `
networks:
  net-test: { subnet: 172.20.0.0/16, gateway: 172.20.0.1 }
workloads:
  web1:
    networks: [net-test]
    command: ["sleep", "100"]
    ports: ["8001:5678"]
    labels: { app: web }
  web2:
    networks: { net-test: { ip: 172.20.0.20 } }
    command: echo hi
firewall:
  user: ["tcp dport 5678 reject"]
`,
    "demo",
  );
  assert.equal(p.project, "demo");
  assert.deepEqual(p.networks, [{ name: "net-test", subnet: "172.20.0.0/16", gateway: "172.20.0.1" }]);
  assert.deepEqual(p.workloads[0]!.ports, ["8001:5678"]);
  assert.deepEqual(p.workloads[1]!.networks, [{ network: "net-test", ip: "172.20.0.20" }]);
  assert.deepEqual(p.workloads[1]!.command, ["sh", "-c", "echo hi"]);
  assert.deepEqual(p.userRules, ["tcp dport 5678 reject"]);
});

test("malformed files are refused with INVALID_YAML naming the field", () => {
  assert.throws(() => parseProjectFile("networks: [oops", "x"), { code: "INVALID_YAML" });
  assert.throws(() => parseProjectFile("workloads:\n  a:\n    prots: []\n", "x"), /workloads\.a\.prots: unknown field/);
  assert.throws(() => parseProjectFile("networks: 3\n", "x"), /networks: expected a map/);
  assert.throws(() => parseProjectFile("workloads:\n  'bad name':\n    command: [x]\n", "x"), { code: "INVALID_NAME" });
});

test("aliases (per workload and per network entry) and DNS-only services parse", () => {
  const p = parseProjectFile(
    `
workloads:
  db:
    aliases: [primary]
    networks: {front: {aliases: [pg]}, back: {}}
services:
  dbh: {headless: true, selector: {app: db}}
  ext: {externalName: db.example.org}
`,
    "demo",
  );
  assert.deepEqual(p.workloads[0]!.aliases, ["primary"]);
  assert.deepEqual(p.workloads[0]!.networks, [{ network: "front", aliases: ["pg"] }, { network: "back" }]);
  assert.deepEqual(p.services!.map((s) => [s.name, s.headless ?? false, s.externalName ?? ""]), [["dbh", true, ""], ["ext", false, "db.example.org"]]);
  assert.throws(() => parseProjectFile("services:\n  dbh: {headless: true, vip: 10.96.0.9, selector: {app: db}}\n", "d"), /services\.dbh: --vip/);
});

test("replicas: N makes a templated workload; a bad count or a clash is refused naming the field", () => {
  const p = parseProjectFile("workloads:\n  web: { replicas: 3, labels: { app: web } }\n  one: {}\n", "demo");
  assert.deepEqual(p.workloads.map((w) => [w.name, w.replicas]), [["web", 3], ["one", undefined]]);
  assert.equal(parseProjectFile("workloads:\n  web: { replicas: 0 }\n", "demo").workloads[0]!.replicas, 0);
  for (const bad of ["-1", "two", "1.5"]) {
    assert.throws(() => parseProjectFile(`workloads:\n  web: { replicas: ${bad} }\n`, "demo"), (e: Error & { code?: string }) => e.code === "INVALID_YAML" && e.message.startsWith("workloads.web.replicas"), bad);
  }
  assert.throws(() => parseProjectFile('workloads:\n  web: { replicas: 2, ports: ["8080:80"] }\n', "demo"), (e: Error & { code?: string }) => e.code === "INVALID_YAML" && /publish/.test(e.message));
  assert.doesNotThrow(() => parseProjectFile('workloads:\n  web: { replicas: 1, ports: ["8080:80"] }\n', "demo"));
});

test("services in a project file may be IPv6 or dual stack; a bad family fails the file", () => {
  const p = parseProjectFile("services:\n  web: {ports: [80], selector: {app: web}, ipFamily: dual}\n  web6: {ports: [80], selector: {app: web}, vip: 'fd00:10:96::10'}\n", "d");
  assert.deepEqual(p.services!.map((s) => [s.name, s.ipFamily, s.vip]), [["web", "dual", undefined], ["web6", undefined, "fd00:10:96::10"]]);
  assert.throws(() => parseProjectFile("services:\n  web: {ports: [80], selector: {app: web}, ipFamily: ipv5}\n", "d"), { code: "INVALID_YAML" });
});

test("hostAccess on a network is true or false", () => {
  const p = parseProjectFile("networks:\n  vault: { internal: true, hostAccess: true }\n  back: { hostAccess: false }\n", "x");
  assert.deepEqual(p.networks.map((n) => [n.name, n.hostAccess]), [["vault", true], ["back", false]]);
  assert.throws(() => parseProjectFile("networks:\n  back: { hostAccess: nope }\n", "x"), /networks\.back\.hostAccess: expected true or false/);
});

test("network driver, MTU, gateway mode and default-route fields, and blackhole routes, parse", () => {
  const p = parseProjectFile(
    `
networks:
  lan: { driver: macvlan, parent: eth1.20, mode: private, subnet: 192.168.20.0/24, mtu: 1400 }
  direct: { gatewayMode: routed, defaultRouteMetric: 50, defaultRoute: false }
workloads:
  w:
    networks: [lan]
    routes: [{ dst: 192.0.2.0/24, type: blackhole }, { dst: 10.9.0.0/16, via: 192.168.20.254 }]
`,
    "demo",
  );
  assert.deepEqual(p.networks[0], { name: "lan", driver: "macvlan", parent: "eth1.20", mode: "private", subnet: "192.168.20.0/24", mtu: 1400 });
  assert.deepEqual(p.networks[1], { name: "direct", gatewayMode: "routed", defaultRouteMetric: 50, defaultRoute: false });
  assert.deepEqual(p.workloads[0]!.routes, [{ dst: "192.0.2.0/24", type: "blackhole" }, { dst: "10.9.0.0/16", via: "192.168.20.254" }]);
  assert.throws(() => parseProjectFile("workloads:\n  w:\n    routes: [{ dst: 10.0.0.0/8, type: unreachable }]\n", "x"), /type may only be blackhole/);
});

test("dns: on a network is one address or a list, checked as network create --dns checks it", () => {
  const p = parseProjectFile("networks:\n  a: { dns: 10.1.0.53 }\n  b: { dns: [10.1.0.53, '2001:db8::53'] }\n  c: {}\n", "x");
  assert.deepEqual(p.networks.map((n) => n.dns), [["10.1.0.53"], ["10.1.0.53", "2001:db8::53"], undefined]);
  assert.throws(() => parseProjectFile("networks:\n  a: { dns: [nope] }\n", "x"), /networks\.a\.dns: network dns server 'nope' is not an IP address/);
  assert.throws(() => parseProjectFile("networks:\n  a: { dns: [1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4] }\n", "x"), /networks\.a\.dns: at most 3/);
});

test("options: on a network (Compose's driver_opts) become the fields they stand for; an unknown key fails the file", () => {
  const p = parseProjectFile("networks:\n  a:\n    options: { com.docker.network.driver.mtu: 1400, com.docker.network.bridge.enable_icc: 'false' }\n", "x");
  assert.equal(p.networks[0]!.mtu, 1400);
  assert.equal(p.networks[0]!.icc, false);
  assert.equal("options" in p.networks[0]!, false);
  assert.throws(() => parseProjectFile("networks:\n  a:\n    options: { com.example.x: 1 }\n", "x"), /networks\.a\.options: network option com\.example\.x is not supported/);
});
