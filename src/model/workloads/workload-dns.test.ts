import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHostNetworkDns, clusterFirst, normalizeExtraHosts, normalizeNetworkDns, normalizeWorkloadDns, podDnsFields, validateHostname } from "./workload-dns";

test("dns settings: defaults drop out, bad values are refused with INVALID_ARGUMENT", () => {
  assert.equal(normalizeWorkloadDns({ policy: "ClusterFirst" }), undefined);
  assert.deepEqual(normalizeWorkloadDns({ nameservers: ["192.0.2.1"], options: ["ndots:2"] }), { nameservers: ["192.0.2.1"], options: ["ndots:2"] });
  for (const bad of [{ policy: "Sometimes" }, { nameservers: ["x"] }, { nameservers: ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"] }, { options: ["nd ots"] }, { search: ["a..b"] }, { policy: "None" }, { other: 1 }]) {
    assert.throws(() => normalizeWorkloadDns(bad), { code: "INVALID_ARGUMENT" }, JSON.stringify(bad));
  }
  assert.throws(() => validateHostname("a_b"), { code: "INVALID_ARGUMENT" });
  assert.throws(() => normalizeNetworkDns(["nowhere"]), { code: "INVALID_ARGUMENT" });
});

test("--add-host NAME:IP, IPv6 with its colons; pod hostAliases and dnsConfig options", () => {
  assert.deepEqual(normalizeExtraHosts(["db.local:10.0.0.5", "v6:fd00::9", "b:[fd00::8]"]), [
    { name: "db.local", ip: "10.0.0.5" },
    { name: "v6", ip: "fd00::9" },
    { name: "b", ip: "fd00::8" },
  ]);
  assert.throws(() => normalizeExtraHosts(["db.local"]), { code: "INVALID_ARGUMENT" });
  const pod = podDnsFields({
    hostname: "pod-one",
    dnsPolicy: "None",
    dnsConfig: { nameservers: ["192.0.2.55"], searches: ["ns1.svc.example"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] },
    hostAliases: [{ ip: "10.8.8.8", hostnames: ["foo.local", "bar.local"] }],
  });
  assert.deepEqual(pod, {
    hostname: "pod-one",
    dns: { policy: "None", nameservers: ["192.0.2.55"], search: ["ns1.svc.example"], options: ["ndots:2", "edns0"] },
    extraHosts: [
      { name: "foo.local", ip: "10.8.8.8" },
      { name: "bar.local", ip: "10.8.8.8" },
    ],
  });
});

test("ClusterFirstWithHostNet: ClusterFirst off the host network; on it refused with the reason, as are settings never written there", () => {
  const dns = normalizeWorkloadDns({ policy: "ClusterFirstWithHostNet" });
  assert.equal(clusterFirst(dns), true);
  assert.equal(clusterFirst(normalizeWorkloadDns({ policy: "Default" })), false);
  assert.throws(() => checkHostNetworkDns("h", dns), (e: Error & { code?: string }) => e.code === "UNSUPPORTED" && /ClusterFirstWithHostNet.*host-network.*resolv\.conf/.test(e.message));
  assert.throws(() => checkHostNetworkDns("h", normalizeWorkloadDns({ nameservers: ["192.0.2.1"] })), /not applied to a host-network workload/);
  assert.doesNotThrow(() => checkHostNetworkDns("h", undefined));
});
