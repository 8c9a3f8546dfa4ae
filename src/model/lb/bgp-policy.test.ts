import { test } from "node:test";
import assert from "node:assert/strict";
import { bgpPolicyFromManifest, parseBgpPolicyManifests } from "./bgp-policy";

const policy = (spec: object) => ({ apiVersion: "cilium.io/v2alpha1", kind: "CiliumBGPPeeringPolicy", metadata: { name: "blue-peering-policy" }, spec });
const SEED = {
  nodeSelector: { matchLabels: { "bgp-policy": "blue" } },
  virtualRouters: [{ localASN: 64512, exportPodCIDR: true, neighbors: [{ peerAddress: "10.0.0.1", peerASN: 64512 }, { peerAddress: "10.0.0.2/32", peerASN: 64512 }] }],
};

test("the seed's policy: addresses with or without /32, graceful restart on by default", () => {
  const p = bgpPolicyFromManifest(policy(SEED), "d");
  assert.deepEqual(p.nodeSelector, { matchLabels: { "bgp-policy": "blue" }, matchExpressions: [] });
  assert.deepEqual(p.virtualRouters[0], {
    localASN: 64512,
    exportPodCIDR: true,
    neighbors: [{ peerAddress: "10.0.0.1", peerASN: 64512, gracefulRestart: true }, { peerAddress: "10.0.0.2", peerASN: 64512, gracefulRestart: true }],
  });
  const full = bgpPolicyFromManifest(policy({ virtualRouters: [{ localASN: 65001, serviceSelector: { matchLabels: { color: "blue" } }, serviceAdvertisements: ["LoadBalancerIP"], neighbors: [{ peerAddress: "fd00::1/128", peerASN: 65000, peerPort: 1179, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, connectRetryTimeSeconds: 5, gracefulRestart: { enabled: false, restartTimeSeconds: 30 } }] }] }), "d");
  assert.deepEqual(full.virtualRouters[0]!.neighbors[0], { peerAddress: "fd00::1", peerASN: 65000, peerPort: 1179, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, connectRetryTimeSeconds: 5, gracefulRestart: false, restartTimeSeconds: 30 });
});

test("refusals name the field", () => {
  const vr = (extra: object, n: object = {}) => policy({ virtualRouters: [{ localASN: 65001, neighbors: [{ peerAddress: "10.0.0.1", peerASN: 65000, ...n }], ...extra }] });
  const cases: [object, RegExp][] = [
    [vr({}, { authSecretRef: "s" }), /neighbors\[0\]\.authSecretRef: not supported: TCP MD5/],
    [vr({}, { eBGPMultihopTTL: 2 }), /neighbors\[0\]\.eBGPMultihopTTL: not supported/],
    [vr({}, { families: [] }), /neighbors\[0\]\.families: not supported/],
    [vr({}, { advertisedPathAttributes: [] }), /advertisedPathAttributes: not supported/],
    [vr({}, { peerAddress: "10.0.0.1/24" }), /peerAddress: '10\.0\.0\.1\/24' is not an address/],
    [vr({}, { peerASN: 0 }), /peerASN: expected a whole number from 1/],
    [vr({ podIPPoolSelector: {} }), /podIPPoolSelector: not supported/],
    [vr({ serviceAdvertisements: ["ClusterIP"] }), /serviceAdvertisements: only \[LoadBalancerIP\]/],
    [vr({ localASN: "x" }), /localASN: expected a whole number/],
    [vr({ color: 1 }), /virtualRouters\[0\]\.color: unknown field/],
    [policy({ virtualRouters: [] }), /virtualRouters: required/],
    [policy({ virtualRouters: [{ localASN: 1, neighbors: [] }, { localASN: 2, neighbors: [] }] }), /virtualRouters\[1\]: not supported: one virtual router per node/],
    [{ ...policy(SEED), apiVersion: "cilium.io/v2" }, /apiVersion: expected cilium\.io\/v2alpha1/],
  ];
  for (const [doc, re] of cases) assert.throws(() => bgpPolicyFromManifest(doc, "d"), (e: Error & { code?: string }) => e.code === "INVALID_YAML" && re.test(e.message), String(re));
  assert.throws(() => parseBgpPolicyManifests("kind: CiliumBGPPeeringPolicy\napiVersion: cilium.io/v2alpha1\nmetadata: {name: a}\nspec: {virtualRouters: [{localASN: 1, neighbors: [{peerAddress: 10.0.0.1, peerASN: 2}, {peerAddress: 10.0.0.1/32, peerASN: 2}]}]}\n"), /peer 10\.0\.0\.1 is listed twice/);
});
