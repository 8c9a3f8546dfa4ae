import { test } from "node:test";
import assert from "node:assert/strict";
import { checkFamilyRequest, parseIpFamilyFlag, resolveFamilies, type IpFamily } from "./service-families";
import { normalizeServiceSpec } from "./service-spec";

const both = new Set<IpFamily>(["IPv4", "IPv6"]);
const v4only = new Set<IpFamily>(["IPv4"]);
const req = (policy?: string, families?: string[], vips: string[] = []) => checkFamilyRequest(policy, families, vips);

test("--ip-family: ipv4, ipv6, dual, an ordered pair, prefer-dual; anything else refused", () => {
  assert.deepEqual(parseIpFamilyFlag("ipv6"), { ipFamilies: ["IPv6"], ipFamilyPolicy: "SingleStack" });
  assert.deepEqual(parseIpFamilyFlag("dual"), { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" });
  assert.deepEqual(parseIpFamilyFlag("IPv6,IPv4"), { ipFamilies: ["IPv6", "IPv4"], ipFamilyPolicy: "RequireDualStack" });
  assert.deepEqual(parseIpFamilyFlag("prefer-dual"), { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" });
  for (const bad of ["ipv5", "ipv4,ipv4", "ipv4,ipv6,ipv4", ""]) assert.throws(() => parseIpFamilyFlag(bad), { code: "INVALID_ARGUMENT" }, bad);
});

test("as Kubernetes: IPv4 single stack by default; a VIP or family picks the primary; two mean RequireDualStack", () => {
  assert.deepEqual(resolveFamilies(req(), both), { policy: "SingleStack", families: ["IPv4"] });
  assert.deepEqual(resolveFamilies(req(undefined, undefined, ["fd00:10:96::10"]), both), { policy: "SingleStack", families: ["IPv6"] });
  assert.deepEqual(resolveFamilies(req(undefined, ["IPv6", "IPv4"]), both), { policy: "RequireDualStack", families: ["IPv6", "IPv4"] });
  assert.deepEqual(resolveFamilies(req("PreferDualStack"), both), { policy: "PreferDualStack", families: ["IPv4", "IPv6"] });
  assert.deepEqual(resolveFamilies(req("RequireDualStack", undefined, ["fd00:10:96::10"]), both), { policy: "RequireDualStack", families: ["IPv6", "IPv4"] });
});

test("without an IPv6 range: PreferDualStack falls back to IPv4, asking for IPv6 is FAMILY_UNAVAILABLE", () => {
  assert.deepEqual(resolveFamilies(req("PreferDualStack"), v4only), { policy: "PreferDualStack", families: ["IPv4"] });
  for (const r of [req("RequireDualStack"), req(undefined, ["IPv6"]), req(undefined, undefined, ["fd00::1"])]) {
    assert.throws(() => resolveFamilies(r, v4only), { code: "FAMILY_UNAVAILABLE" });
  }
});

test("nothing asked keeps the previous version's families; asking changes them", () => {
  const base = { policy: "RequireDualStack" as const, families: ["IPv6", "IPv4"] as IpFamily[] };
  assert.equal(resolveFamilies(req(), both, base), base);
  assert.deepEqual(resolveFamilies(req("SingleStack", ["IPv6"]), both, base), { policy: "SingleStack", families: ["IPv6"] });
});

test("contradictions are refused before anything is allocated", () => {
  assert.throws(() => req("SingleStack", ["IPv4", "IPv6"]), /SingleStack service has one family/);
  assert.throws(() => req(undefined, undefined, ["10.96.0.1", "10.96.0.2"]), /one VIP per family/);
  assert.throws(() => req(undefined, ["IPv4"], ["fd00::1"]), /does not list/);
  assert.throws(() => req(undefined, ["IPv4", "IPv6"], ["fd00::1", "10.96.0.1"]), /order of ipFamilies/);
  assert.throws(() => req("Dual"), /unknown ipFamilyPolicy/);
  assert.throws(() => req(undefined, ["IPv4", "IPv4"]), /at most once/);
  assert.throws(() => normalizeServiceSpec({ name: "w", selector: { a: "b" }, ports: ["80"], vip: "not-an-ip" }), /not an IP address/);
  assert.throws(() => normalizeServiceSpec({ name: "w", headless: true, selector: { a: "b" }, ports: [], ipFamily: "ipv6" }), /--ip-family/);
});

test("a spec's VIPs and external IPs may be IPv6, canonicalised", () => {
  const n = normalizeServiceSpec({ name: "w", selector: { a: "b" }, ports: ["80"], vips: ["FD00:10:96:0::10", "10.96.0.10"], externalIps: ["2001:DB8::7"] });
  assert.deepEqual(n.families.vips, ["fd00:10:96::10", "10.96.0.10"]);
  assert.deepEqual(n.externalIps, ["2001:db8::7"]);
});
