// Pure parts of the CNI side: env validation, config parsing, result shape, naming.
import { test } from "node:test";
import assert from "node:assert/strict";
import { envFromHeaders, parseCniArgs } from "./env";
import { parseConfig, versionAtLeast } from "./config";
import { buildResult } from "./result";
import { workloadName } from "./naming";
import { CniError } from "./errors";

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
  assert.equal(code(() => parseConfig(c({ ipam: {} }), "ADD", {})), 2);
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
