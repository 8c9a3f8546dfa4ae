import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseSearch, renderResolvConf, workloadResolvConf, writeNetnsFiles } from "./resolv-conf";
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

// writeNetnsFiles: exact modes whatever the umask (the umask is read once per process, so each umask
// runs in a child process of its own), and a rewrite goes into the same inode (a bind mount holds it).

const mode = (p: string) => statSync(p).mode & 0o7777;

for (const umask of ["000", "022", "077", "277"]) {
  test(`writeNetnsFiles under umask ${umask}: the directory 0755, the files 0644, the parent made when missing`, () => {
    const root = mkdtempSync(path.join(tmpdir(), "hd-netns-"));
    try {
      const etc = path.join(root, "etc-netns");
      const write = `require(${JSON.stringify(path.join(__dirname, "resolv-conf.js"))}).writeNetnsFiles(${JSON.stringify(etc)}, "w1", [["resolv.conf", "a\\n"], ["hosts", "b\\n"]])`;
      execFileSync("sh", ["-c", `umask ${umask} && exec "$0" -e "$1"`, process.execPath, write]);
      assert.equal(mode(path.join(etc, "w1")), 0o755);
      assert.equal(mode(path.join(etc, "w1", "resolv.conf")), 0o644);
      assert.equal(mode(path.join(etc, "w1", "hosts")), 0o644);
      assert.equal(readFileSync(path.join(etc, "w1", "hosts"), "utf8"), "b\n");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test("writeNetnsFiles again: the same inodes, shorter text truncates, modes changed meanwhile are set back", () => {
  const etc = mkdtempSync(path.join(tmpdir(), "hd-netns-"));
  try {
    const dir = path.join(etc, "w2");
    writeNetnsFiles(etc, "w2", [["resolv.conf", "nameserver 10.0.0.1\nsearch a b c\n"], ["hosts", "127.0.0.1 localhost\n"]]);
    const inode = statSync(path.join(dir, "resolv.conf")).ino;
    chmodSync(dir, 0o700);
    chmodSync(path.join(dir, "resolv.conf"), 0o666);
    chmodSync(path.join(dir, "hosts"), 0o600);
    writeNetnsFiles(etc, "w2", [["resolv.conf", "nameserver 10.0.0.2\n"], ["hosts", "::1 localhost\n"]]);
    assert.equal(statSync(path.join(dir, "resolv.conf")).ino, inode);
    assert.equal(readFileSync(path.join(dir, "resolv.conf"), "utf8"), "nameserver 10.0.0.2\n");
    assert.equal(readFileSync(path.join(dir, "hosts"), "utf8"), "::1 localhost\n");
    assert.equal(mode(dir), 0o755);
    assert.equal(mode(path.join(dir, "resolv.conf")), 0o644);
    assert.equal(mode(path.join(dir, "hosts")), 0o644);
  } finally {
    rmSync(etc, { recursive: true, force: true });
  }
});
