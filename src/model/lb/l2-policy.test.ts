import { test } from "node:test";
import assert from "node:assert/strict";
import { l2PolicyFromManifest, parseL2PolicyManifests } from "./l2-policy";
import { parseProjectFile } from "../project/project-file";

const policy = (spec: object) => ({ apiVersion: "cilium.io/v2alpha1", kind: "CiliumL2AnnouncementPolicy", metadata: { name: "policy1" }, spec });

test("Cilium's example: selectors, interface regexes, what is announced; booleans default to false", () => {
  const p = l2PolicyFromManifest(policy({
    serviceSelector: { matchLabels: { color: "blue" } },
    nodeSelector: { matchExpressions: [{ key: "node-role.kubernetes.io/control-plane", operator: "DoesNotExist" }] },
    interfaces: ["^eth[0-9]+"],
    externalIPs: true,
    loadBalancerIPs: true,
  }), "d");
  assert.deepEqual(p.interfaces, ["^eth[0-9]+"]);
  assert.deepEqual(p.serviceSelector, { matchLabels: { color: "blue" }, matchExpressions: [] });
  assert.equal(p.nodeSelector!.matchExpressions[0]!.operator, "DoesNotExist");
  assert.deepEqual([p.externalIPs, p.loadBalancerIPs], [true, true]);
  const bare = l2PolicyFromManifest(policy({}), "d");
  assert.deepEqual(bare, { name: "policy1", interfaces: [], loadBalancerIPs: false, externalIPs: false });
});

test("refusals name the field", () => {
  const cases: [object, RegExp][] = [
    [policy({ leaseDuration: "5s" }), /CiliumL2AnnouncementPolicy policy1: spec\.leaseDuration: unknown field/],
    [policy({ interfaces: ["eth("] }), /spec\.interfaces\[0\]: 'eth\(' is not a regular expression/],
    [policy({ interfaces: "eth0" }), /spec\.interfaces: expected a list/],
    [policy({ interfaces: [""] }), /spec\.interfaces\[0\]: expected a regular expression/],
    [policy({ loadBalancerIPs: "yes" }), /spec\.loadBalancerIPs: expected true or false/],
    [policy({ serviceSelector: { matchLabels: { a: 1 } } }), /serviceSelector/],
    [{ ...policy({}), apiVersion: "cilium.io/v1" }, /apiVersion: expected cilium\.io\/v2alpha1/],
    [{ ...policy({}), metadata: { name: "a b/c" } }, /metadata\.name/],
  ];
  for (const [doc, re] of cases) assert.throws(() => l2PolicyFromManifest(doc, "d"), (e: Error) => re.test(e.message), re.source);
});

test("files: several documents or a List; a name given twice is refused; beside a project", () => {
  const doc = (name: string) => `apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata: {name: ${name}}\nspec: {loadBalancerIPs: true}\n`;
  assert.deepEqual(parseL2PolicyManifests(`${doc("a")}---\n${doc("b")}`).map((p) => p.name), ["a", "b"]);
  assert.throws(() => parseL2PolicyManifests(`${doc("a")}---\n${doc("a")}`), /given twice/);
  assert.throws(() => parseL2PolicyManifests("---\n"), /no CiliumL2AnnouncementPolicy/);
  assert.deepEqual(parseProjectFile(`name: p\n---\n${doc("a")}`, "x").l2Policies?.map((p) => p.name), ["a"]);
});
