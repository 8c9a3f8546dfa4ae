import { test } from "node:test";
import assert from "node:assert/strict";
import { heldEntries, holdEntry } from "./held-ports";
import { parsePortSpec } from "../model/ports";
import type { Attachment, DesiredState, Network, Workload } from "../model/types";

const net = (id: string, v6: boolean): Network =>
  ({ id, name: id, driver: "bridge", bridge: `br-${id}`, subnet4: "10.1.0.0/24", ...(v6 ? { subnet6: "fd00:1::/64" } : {}), internal: false } as unknown as Network);
const att = (workloadId: string, networkId: string, ip4: string, ip6?: string): Attachment =>
  ({ workloadId, networkId, ifname: "eth0", hostIfname: "ve-x", mac: "", ip4, ...(ip6 ? { ip6 } : {}), index: 0 } as Attachment);
const wl = (id: string, ports: string[], state = "running"): Workload => ({ id, name: id, state, ports: ports.flatMap((p) => parsePortSpec(p)) } as unknown as Workload);

test("one socket per mapping: no address is one dual-stack socket, [::] an IPv6-only one", () => {
  const e = (spec: string) => holdEntry(parsePortSpec(spec)[0]!);
  assert.deepEqual(e("8080:80"), { protocol: "tcp", address: "::", v6only: false, port: 8080 });
  assert.deepEqual(e("[::]:8080:80/udp"), { protocol: "udp", address: "::", v6only: true, port: 8080 });
  assert.deepEqual(e("0.0.0.0:8080:80"), { protocol: "tcp", address: "0.0.0.0", v6only: false, port: 8080 });
  assert.deepEqual(e("[::1]:8080:80"), { protocol: "tcp", address: "::1", v6only: false, port: 8080 });
  assert.deepEqual(e("127.0.0.1::80"), { protocol: "tcp", address: "127.0.0.1", v6only: false, port: 0 });
});

test("relays go to the workload's address of the socket's family, else the other one", () => {
  const state = {
    networks: [net("n4", false), net("n6", true)],
    attachments: [att("a", "n4", "10.1.0.2"), att("b", "n6", "10.1.0.3", "fd00:1::3")],
    workloads: [wl("a", ["8001:80", "127.0.0.1:8002:80", "[::1]:8003:80"]), wl("b", ["8101:80", "127.0.0.1:8102:80"]), wl("gone", ["9000:80"], "removing")],
  } as unknown as DesiredState;
  const targets = heldEntries(state).map((e) => `${e.address}:${e.port} -> ${e.target?.ip}:${e.target?.port}`);
  assert.deepEqual(targets, [
    ":::8001 -> 10.1.0.2:80",
    "127.0.0.1:8002 -> 10.1.0.2:80",
    "::1:8003 -> 10.1.0.2:80",
    ":::8101 -> fd00:1::3:80",
    "127.0.0.1:8102 -> 10.1.0.3:80",
  ]);
});

test("a service's host port is held on every address and relays to its VIP (the IPv6 one first)", () => {
  const svc = (name: string, vips: string[], hostPort?: number) => ({ name, vips, ports: [{ port: 80, targetPort: 8080, protocol: "tcp", ...(hostPort ? { hostPort } : {}) }] });
  const state = {
    networks: [],
    attachments: [],
    workloads: [],
    services: [svc("v4", ["10.96.0.5"], 30080), svc("dual", ["10.96.0.6", "fd00:10:96::6"], 30081), svc("none", ["10.96.0.7"])],
  } as unknown as DesiredState;
  assert.deepEqual(heldEntries(state), [
    { protocol: "tcp", address: "::", v6only: false, port: 30080, target: { ip: "10.96.0.5", port: 80 } },
    { protocol: "tcp", address: "::", v6only: false, port: 30081, target: { ip: "fd00:10:96::6", port: 80 } },
  ]);
});

test("a CNI attachment's host ports are left to its runtime, which holds them itself", () => {
  const cni = { ...wl("c", ["8201:80"]), cni: { network: "pods", containerId: "x", ifname: "eth0" } } as Workload;
  const state = { networks: [net("n4", false)], attachments: [att("c", "n4", "10.1.0.4"), att("d", "n4", "10.1.0.5")], workloads: [cni, wl("d", ["8202:80"])] } as unknown as DesiredState;
  assert.deepEqual(heldEntries(state).map((e) => e.port), [8202]);
});
