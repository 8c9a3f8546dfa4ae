import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "./nft-compile";
import { parsePortSpec } from "../model/ports";
import type { DesiredState, Workload } from "../model/types";

const net = { id: "n1", name: "web", driver: "bridge" as const, bridge: "pbr-n1", subnet4: "172.30.0.0/24", gateway4: "172.30.0.1", subnet6: "fd00:30::/64", gateway6: "fd00:30::1", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "" };
const wl = (ports: string[]): Workload => ({ id: "w0", name: "w0", labels: {}, netnsMode: "owned", netns: "x", command: [], env: {}, restart: "no", routes: [], ports: ports.flatMap((p) => parsePortSpec(p)), state: "running", createdAt: "" });
const att = { workloadId: "w0", networkId: "n1", ifname: "eth0", hostIfname: "pv-0", mac: "", ip4: "172.30.0.2", ip6: "fd00:30::2", index: 0 };

const elements = (ports: string[]) => {
  const state: DesiredState = { networks: [net], workloads: [wl(ports)], attachments: [att], userRules: [] };
  const sets = compileNft(state).sets;
  return Object.fromEntries(["pub4", "pub4_addr", "pub6", "pub6_addr"].map((n) => [n, sets.find((s) => s.name === n)!.elements]));
};

test("0.0.0.0 and [::] publish on every address of their family (not as a literal address)", () => {
  assert.deepEqual(elements(["0.0.0.0:8001:80"]), { pub4: ["tcp . 8001 : 172.30.0.2 . 80"], pub4_addr: [], pub6: [], pub6_addr: [] });
  assert.deepEqual(elements(["[::]:8001:80"]), { pub4: [], pub4_addr: [], pub6: ["tcp . 8001 : fd00:30::2 . 80"], pub6_addr: [] });
});

test("[::1] has no DNAT element: the port holder relays it (the kernel keeps ::1 on lo)", () => {
  assert.deepEqual(elements(["[::1]:8001:80", "127.0.0.1:8002:80"]), { pub4: [], pub4_addr: ["127.0.0.1 . tcp . 8002 : 172.30.0.2 . 80"], pub6: [], pub6_addr: [] });
});
