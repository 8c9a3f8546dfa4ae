// Pure parts of the CNI side: env validation, config parsing, result shape, naming.
import { test } from "node:test";
import assert from "node:assert/strict";
import { envFromHeaders, parseCniArgs } from "./env";
import { parseConfig, versionAtLeast } from "./config";
import { buildResult } from "./result";
import { workloadName } from "./naming";
import { CniError } from "./errors";
import { differences } from "./described-network";
import { checkProblems } from "./check";
import { ipamAddresses } from "./ipam";

const code = (fn: () => unknown): number => {
  try {
    fn();
  } catch (e) {
    return (e as CniError).code;
  }
  return 0;
};
const H = { "x-cni-command": "ADD", "x-cni-containerid": "abc", "x-cni-netns": "/run/netns/x", "x-cni-ifname": "eth0", "x-cni-path": "/opt/cni/bin" };

test("env: missing and malformed variables are code 4 and named", () => {
  assert.equal(envFromHeaders(H).ifname, "eth0");
  assert.throws(() => envFromHeaders({ ...H, "x-cni-netns": undefined }), /CNI_NETNS/);
  assert.equal(code(() => envFromHeaders({ ...H, "x-cni-ifname": "a/b" })), 4);
  assert.equal(code(() => envFromHeaders({ ...H, "x-cni-containerid": "-x" })), 4);
  assert.equal(envFromHeaders({ ...H, "x-cni-command": "DEL", "x-cni-netns": undefined }).netns, "", "DEL may come without a netns");
  assert.equal(envFromHeaders({ ...H, "x-cni-netns": "/run/netns/a%25b" }).netns, "/run/netns/a%b", "percent-decoded");
  assert.deepEqual(parseCniArgs("IgnoreUnknown=1;FOO=bar;IP=10.0.0.5"), { IgnoreUnknown: "1", FOO: "bar", IP: "10.0.0.5" });
  assert.equal(code(() => parseCniArgs("FOO=bar")), 4);
});

test("config: decoding 6, version 1, invalid 7, unsupported field 2; capabilities", () => {
  const c = (o: Record<string, unknown>) => JSON.stringify({ cniVersion: "1.1.0", name: "n", type: "ponton-cni", network: "net", ...o });
  assert.equal(code(() => parseConfig("{", "ADD", {})), 6);
  assert.equal(code(() => parseConfig(c({ cniVersion: "0.3.1" }), "ADD", {})), 1);
  assert.equal(code(() => parseConfig(c({ cniVersion: "1.0.0" }), "GC", {})), 1);
  assert.equal(code(() => parseConfig(c({ network: undefined }), "ADD", {})), 7);
  assert.equal(code(() => parseConfig(c({ ipam: {} }), "ADD", {})), 7, "ipam needs a plugin type");
  assert.equal(code(() => parseConfig(c({ ipam: { type: "/bin/sh" } }), "ADD", {})), 7, "a name, never a path");
  assert.deepEqual(parseConfig(c({ ipam: { type: "host-local", ranges: [] } }), "ADD", {}).ipam, { type: "host-local" });
  assert.deepEqual(parseConfig(c({ subnet: "10.9.0.0/16", internal: true }), "ADD", {}).describes, { subnet: "10.9.0.0/16", internal: true });
  assert.equal(code(() => parseConfig(c({ internal: "false" }), "ADD", {})), 7, "booleans are booleans");
  assert.equal(code(() => parseConfig(c({}), "GC", {})), 7, "GC needs valid-attachments");
  const conf = parseConfig(c({ runtimeConfig: { ips: ["10.0.0.9/24"], mac: "02:AA:bb:cc:dd:ee", portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] } }), "ADD", {});
  assert.deepEqual(conf.ips, ["10.0.0.9"]);
  assert.equal(conf.mac, "02:aa:bb:cc:dd:ee");
  assert.deepEqual(conf.ports, [{ hostPort: 8080, containerPort: 80, protocol: "tcp", allowFrom: [] }]);
  assert.equal(parseConfig(c({ network: undefined }), "DEL", {}).network, "", "DEL is lenient");
  assert.ok(versionAtLeast("1.1.0", "1.1.0") && !versionAtLeast("1.0.0", "1.1.0"));
});

test("result: interfaces with sandbox, ips pointing at the container interface, prevResult kept first", () => {
  const f = { bridge: "br0", hostIfname: "pv-1", ifname: "eth0", mac: "02:42:0a:00:00:02", sandbox: "/run/netns/x", ip4: { address: "10.0.0.2/24", gateway: "10.0.0.1" }, defaultVia4: "10.0.0.1" };
  const r = buildResult("1.0.0", f, undefined);
  assert.deepEqual(r.interfaces[2], { name: "eth0", mac: "02:42:0a:00:00:02", sandbox: "/run/netns/x" });
  assert.deepEqual(r.ips, [{ interface: 2, address: "10.0.0.2/24", gateway: "10.0.0.1" }]);
  assert.deepEqual(r.routes, [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }]);
  assert.equal(buildResult("0.4.0", f, undefined).ips[0]!.version, "4");
  const chained = buildResult("1.0.0", f, undefined, { interfaces: [{ name: "lo" }], ips: [], routes: [] });
  assert.equal(chained.ips[0]!.interface, 3);
});

test("naming: the runtime's pod name when free, else the container ID", () => {
  const env = { command: "ADD" as const, containerId: "a".repeat(64), netns: "/x", ifname: "eth0", path: "", args: {} as Record<string, string> };
  assert.match(workloadName(env, () => false), /^cni-a{12}[0-9a-f]{6}$/);
  assert.equal(workloadName({ ...env, args: { K8S_POD_NAME: "web" } }, () => false), "web");
  assert.match(workloadName({ ...env, args: { K8S_POD_NAME: "web" } }, (n) => n === "web"), /^web-a{12}/);
  assert.match(workloadName({ ...env, ifname: "net1" }, () => false), /-net1$/);
});

test("described network: each setting that differs from the existing network is named", () => {
  const n = { id: "x", name: "pods", driver: "bridge" as const, bridge: "b", subnet4: "10.88.0.0/16", gateway4: "10.88.0.1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
  assert.deepEqual(differences(n, {}), []);
  assert.deepEqual(differences(n, { subnet: "10.88.0.0/16", gateway: "10.88.0.1" }), []);
  assert.deepEqual(differences(n, { subnet: "10.88.1.0/24", internal: true }), ["subnet is 10.88.0.0/16, the conflist says 10.88.1.0/24", "internal is false, the conflist says true"]);
  assert.deepEqual(differences(n, { subnet: "fd00::/64" }), ["subnet6 is unset, the conflist says fd00::/64"]);
});

test("CHECK: prevResult against the record and the kernel", () => {
  const want = { ifname: "eth0", sandbox: "/run/netns/x", mac: "02:00:00:00:00:02", addresses: ["10.0.0.2"] };
  const prev = { interfaces: [{ name: "br" }, { name: "veth" }, { name: "eth0", mac: "02:00:00:00:00:02", sandbox: "/run/netns/x" }], ips: [{ interface: 2, address: "10.0.0.2/24" }] };
  const seen = { mac: "02:00:00:00:00:02", addresses: ["10.0.0.2"] };
  assert.deepEqual(checkProblems(prev, want, seen), []);
  assert.equal(code(() => checkProblems(undefined, want, seen)), 7);
  assert.match(checkProblems({ ...prev, ips: [{ interface: 2, address: "10.0.0.3/24" }] }, want, seen).join(), /10\.0\.0\.3.*recorded 10\.0\.0\.2/);
  assert.match(checkProblems(prev, want, { ...seen, mac: "02:00:00:00:00:09" }).join(), /has MAC 02:00:00:00:00:09/);
  assert.match(checkProblems(prev, want, { ...seen, addresses: [] }).join(), /lost its address 10\.0\.0\.2/);
  assert.match(checkProblems({ ...prev, interfaces: [] }, want, seen).join(), /no interface eth0/);
});

test("IPAM result: the first address of each family, bare", () => {
  assert.deepEqual(ipamAddresses({ ips: [{ address: "10.0.0.5/24" }, { address: "fd00::5/64" }, { address: "10.0.0.6/24" }] }, "host-local"), { ip4: "10.0.0.5", ip6: "fd00::5" });
  assert.equal(code(() => ipamAddresses({ ips: [] }, "host-local")), 7);
});
