import { test } from "node:test";
import assert from "node:assert/strict";
import { lbPoolFromManifest, parseLbPoolManifests, poolSize } from "./lb-pool";

const pool = (spec: object, apiVersion = "cilium.io/v2alpha1") => ({ apiVersion, kind: "CiliumLoadBalancerIPPool", metadata: { name: "blue" }, spec });

test("the seed's pool: cidr blocks hold every address (Cilium's default), start/stop both ends", () => {
  const p = lbPoolFromManifest(pool({ blocks: [{ cidr: "10.0.10.0/24" }, { start: "10.0.20.5", stop: "10.0.20.9" }, { cidr: "2001:db8:10::/126" }], serviceSelector: { matchLabels: { color: "blue" } } }), "d");
  assert.deepEqual(
    p.blocks.map((b) => [b.text, b.first, b.last]),
    [["10.0.10.0/24", "10.0.10.0", "10.0.10.255"], ["10.0.20.5-10.0.20.9", "10.0.20.5", "10.0.20.9"], ["2001:db8:10::/126", "2001:db8:10::", "2001:db8:10::3"]],
  );
  assert.deepEqual(p.serviceSelector, { matchLabels: { color: "blue" }, matchExpressions: [] });
  assert.equal(p.disabled, false);
  assert.equal(poolSize(p), 256n + 5n + 4n);
});

test("v2 is accepted; allowFirstLastIPs: No leaves out both ends but of a /31, /32; a lone start is one address; cidrs is the old name of blocks", () => {
  const p = lbPoolFromManifest(pool({ blocks: [{ cidr: "10.0.10.0/30" }, { cidr: "10.0.11.7/32" }, { cidr: "10.0.11.8/31" }, { start: "10.0.12.1" }], allowFirstLastIPs: "No", disabled: true }, "cilium.io/v2"), "d");
  assert.deepEqual(p.blocks.map((b) => `${b.first}-${b.last}`), ["10.0.10.1-10.0.10.2", "10.0.11.7-10.0.11.7", "10.0.11.8-10.0.11.9", "10.0.12.1-10.0.12.1"]);
  assert.equal(p.disabled, true);
  assert.equal(lbPoolFromManifest(pool({ cidrs: [{ cidr: "10.0.10.0/31" }] }), "d").blocks[0]!.first, "10.0.10.0");
});

test("refusals name the field", () => {
  const cases: [object, RegExp][] = [
    [pool({ blocks: [] }), /spec\.blocks: required/],
    [pool({ blocks: [{ cidr: "10.0.10.1/24" }] }), /blocks\[0\]\.cidr: invalid subnet '10\.0\.10\.1\/24': host bits/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24", start: "10.0.10.1" }] }), /blocks\[0\]: give cidr, or start and stop/],
    [pool({ blocks: [{ start: "10.0.10.9", stop: "10.0.10.1" }] }), /blocks\[0\]\.stop: 10\.0\.10\.1 comes before start/],
    [pool({ blocks: [{ start: "10.0.10.1", stop: "fd00::1" }] }), /blocks\[0\]\.stop: start and stop must be of the same family/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24" }, { start: "10.0.10.200", stop: "10.0.11.1" }] }), /blocks\[1\]: 10\.0\.10\.200-10\.0\.11\.1 overlaps 10\.0\.10\.0\/24/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24", vlan: 3 }] }), /blocks\[0\]\.vlan: unknown field/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24" }], serviceSelector: { matchLabels: { a: "b" }, matchFields: {} } }), /serviceSelector\.matchFields: unknown field/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24" }], serviceSelector: { matchExpressions: [{ key: "a", operator: "In" }] } }), /matchExpressions\[0\]\.values: must be specified/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24" }], allowFirstLastIPs: "maybe" }), /spec\.allowFirstLastIPs: 'maybe' is not Yes or No/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24" }], disabled: "yes" }), /spec\.disabled: expected true or false/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24" }], bgp: {} }), /spec\.bgp: unknown field/],
    [pool({ blocks: [{ cidr: "10.0.10.0/24" }] }, "cilium.io/v1"), /apiVersion: expected cilium\.io\/v2alpha1 or cilium\.io\/v2/],
  ];
  for (const [doc, re] of cases) assert.throws(() => lbPoolFromManifest(doc, "d"), (e: Error & { code?: string }) => e.code === "INVALID_YAML" && re.test(e.message), String(re));
});

test("a file: several documents or a List; a name twice is refused", () => {
  const text = `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: blue}
spec:
  blocks: [{cidr: 10.0.10.0/24}]
---
apiVersion: v1
kind: List
items:
- {apiVersion: cilium.io/v2, kind: CiliumLoadBalancerIPPool, metadata: {name: red}, spec: {blocks: [{start: 10.0.20.1, stop: 10.0.20.2}]}}
`;
  assert.deepEqual(parseLbPoolManifests(text).map((p) => p.name), ["blue", "red"]);
  assert.throws(() => parseLbPoolManifests(`${text}---\n${text.split("---")[0]}`), /pool blue is given twice/);
  assert.throws(() => parseLbPoolManifests(""), /no CiliumLoadBalancerIPPool document/);
});
