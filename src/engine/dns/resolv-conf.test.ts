import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSearch, renderResolvConf, workloadResolvConf } from "./resolv-conf";
import { renderHosts } from "./hosts-file";

const base = { embedded: "172.30.0.1", domain: "ponton.internal", ndots: 5, host: { nameservers: ["192.0.2.1"], search: ["corp.example"] } };

test("ClusterFirst: the embedded DNS only (--dns servers are its upstreams), our search list, then the workload's; options replace ours by name", () => {
  const r = workloadResolvConf({ ...base, namespace: "team", dns: { nameservers: ["192.0.2.53"], search: ["Extra.Example"], options: ["ndots:2", "edns0"] } });
  assert.deepEqual(r, {
    nameservers: ["172.30.0.1"],
    search: ["ponton.internal", "team.svc.cluster.local", "svc.cluster.local", "cluster.local", "extra.example"],
    options: ["ndots:2", "edns0"],
  });
  // The embedded DNS off: the servers are lines of resolv.conf.
  assert.deepEqual(workloadResolvConf({ ...base, embedded: undefined, dns: { nameservers: ["192.0.2.53"] } }).nameservers, ["192.0.2.53"]);
});

test("Default copies the host's resolvers and search; None writes only what it is given (3 nameservers at most)", () => {
  const d = workloadResolvConf({ ...base, dns: { policy: "Default", nameservers: ["192.0.2.53"] } });
  assert.deepEqual([d.nameservers, d.search, d.options], [["192.0.2.1", "192.0.2.53"], ["corp.example"], []]);
  const n = workloadResolvConf({ ...base, dns: { policy: "None", nameservers: ["192.0.2.5", "192.0.2.6", "192.0.2.7", "192.0.2.8"] } });
  assert.equal(renderResolvConf(n), "# Written by ponton for this workload.\nnameserver 192.0.2.5\nnameserver 192.0.2.6\nnameserver 192.0.2.7\n");
  assert.deepEqual(parseSearch("nameserver 1.1.1.1\nsearch a.example b.example\n"), ["a.example", "b.example"]);
});

test("hosts: localhost, the hostname first on each address, then the extra entries", () => {
  const text = renderHosts({ hostname: "Edge", names: ["e1.ponton.internal", "e1"], addresses: ["172.30.0.2", "fd00::2"], extra: [{ name: "db.local", ip: "10.0.0.5" }] });
  assert.equal(
    text,
    "# Written by ponton for this workload.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n172.30.0.2\tedge e1.ponton.internal e1\nfd00::2\tedge e1.ponton.internal e1\n10.0.0.5\tdb.local\n",
  );
});
