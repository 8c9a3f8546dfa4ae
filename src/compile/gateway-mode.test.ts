import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attachment, DesiredState, Network, Workload } from "../model/types";
import { compileNft } from "./nft-compile";

const net = (id: string, over: Partial<Network> = {}): Network => ({
  id,
  name: id,
  driver: "bridge",
  bridge: `pbr-${id}`,
  subnet4: id === "r" ? "10.7.0.0/24" : "10.8.0.0/24",
  gateway4: id === "r" ? "10.7.0.1" : "10.8.0.1",
  internal: false,
  icc: true,
  masquerade: true,
  routesTo: [],
  labels: {},
  createdAt: "",
  ...over,
});
const wl = (id: string, ports: Workload["ports"]): Workload => ({ id, name: id, labels: {}, netnsMode: "owned", netns: id, command: [], env: {}, restart: "no", routes: [], ports, state: "running", createdAt: "" });
const att = (workloadId: string, networkId: string, ip4: string): Attachment => ({ workloadId, networkId, ifname: "eth0", hostIfname: `pv-${workloadId}`, mac: "", ip4, index: 0 });
const set = (s: DesiredState, name: string) => compileNft(s).sets.find((x) => x.name === name)!.elements;

const state: DesiredState = {
  // A routed network (masquerade asked for by an old record: routed mode still never masquerades), a NAT one, a macvlan one.
  networks: [net("r", { gatewayMode: "routed", masquerade: true, subnet6: "fd00:7::/64", gateway6: "fd00:7::1" }), net("n", { gatewayMode: "nat" }), net("m", { driver: "macvlan", bridge: "", parent: "eth1", mode: "bridge", subnet4: "192.168.5.0/24", masquerade: false })],
  workloads: [
    wl("web", [
      { hostPort: 8080, containerPort: 80, protocol: "tcp", allowFrom: [] },
      { hostPort: 8443, containerPort: 443, protocol: "tcp", allowFrom: ["192.0.2.0/24"] },
      { hostIp: "127.0.0.1", hostPort: 9000, containerPort: 9000, protocol: "tcp", allowFrom: [] },
      { hostPort: 5353, containerPort: 53, protocol: "udp", allowFrom: [] },
    ]),
    wl("app", [{ hostPort: 8081, containerPort: 80, protocol: "tcp", allowFrom: [] }]),
    wl("seg", []),
  ],
  attachments: [{ ...att("web", "r", "10.7.0.2"), ip6: "fd00:7::2" }, att("app", "n", "10.8.0.2"), att("seg", "m", "192.168.5.9")],
  userRules: [],
};

test("routed gateway mode: published container ports at the workload's address, no masquerade, ICMP allowed in", () => {
  assert.deepEqual(set(state, "direct4"), ["10.7.0.2 . tcp . 80", "10.7.0.2 . udp . 53"], "not the --allow-from port, not the loopback-bound one, not the NAT network's");
  assert.deepEqual(set(state, "direct6"), ["fd00:7::2 . tcp . 80", "fd00:7::2 . udp . 53"]);
  assert.deepEqual(set(state, "masq4"), ["10.8.0.0/24"]);
  assert.deepEqual(set(state, "masq6"), []);
  assert.deepEqual(set(state, "routed_gw_bridges"), ['"pbr-r"']);
  // Host ports still DNAT as in NAT mode.
  assert.ok(set(state, "pub4").includes("tcp . 8080 : 10.7.0.2 . 80"));
});

test("macvlan networks put nothing in the table: no bridge, no subnet, no NAT, no port", () => {
  for (const name of ["bridges", "subnets4", "masq4", "pub4", "direct4"]) assert.ok(!set(state, name).some((e) => e.includes("192.168.5") || e.includes('""')), name);
});
