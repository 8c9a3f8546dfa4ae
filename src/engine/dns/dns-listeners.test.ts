import assert from "node:assert/strict";
import { test } from "node:test";
import type { DesiredState, Network } from "../../model/types";
import { dnsListenerPlans, samePlan, sealedClients } from "./dns-listeners";

const net = (n: Partial<Network>): Network => ({ id: "x", name: "x", driver: "bridge", bridge: "br", internal: false, icc: true, masquerade: true, routesTo: [], labels: {}, createdAt: "", ...n });

test("each bridge gateway answers its own subnets; internal networks are sealed; other drivers have no listener", () => {
  const state = {
    networks: [
      net({ id: "a", subnet4: "172.40.0.0/24", gateway4: "172.40.0.1", subnet6: "fd00:40::/64", gateway6: "fd00:40::1" }),
      net({ id: "v", subnet4: "172.42.0.0/24", gateway4: "172.42.0.1", internal: true }),
      net({ id: "h", driver: "host" }),
    ],
  } as unknown as DesiredState;
  assert.deepEqual(dnsListenerPlans(state), [
    { address: "172.40.0.1", clients: ["172.40.0.0/24", "fd00:40::/64"], sealed: false },
    { address: "fd00:40::1", clients: ["172.40.0.0/24", "fd00:40::/64"], sealed: false },
    { address: "172.42.0.1", clients: ["172.42.0.0/24"], sealed: true },
  ]);
  const [a, , v] = dnsListenerPlans(state);
  assert.equal(samePlan(a, { ...a, clients: [...a.clients] }), true);
  assert.equal(samePlan(a, v), false);
});

test("sealed clients: the addresses a workload has on internal networks, not its others", () => {
  const state = {
    networks: [net({ id: "open" }), net({ id: "int", internal: true })],
    attachments: [
      { workloadId: "w", networkId: "open", ip4: "172.40.0.2" },
      { workloadId: "w", networkId: "int", ip4: "172.42.0.2", ip6: "fd00:42::2" },
    ],
  } as unknown as DesiredState;
  assert.deepEqual([...sealedClients(state)], ["172.42.0.2", "fd00:42::2"]);
});
