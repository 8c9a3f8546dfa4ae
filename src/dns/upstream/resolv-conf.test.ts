import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { parseNameservers, readUpstreams, wouldLoop } from "./resolv-conf";

function tmp(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), "ponton-dns-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, p: (n: string) => path.join(dir, n), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("nameserver lines are parsed in order; comments, duplicates and junk are skipped", () => {
  const text = "# comment\nsearch example\nnameserver 10.0.0.53\n  nameserver\t2001:db8::53 # trailing\n;nameserver 10.9.9.9\nnameserver bogus\nnameserver 10.0.0.53\noptions ndots:5\n";
  assert.deepEqual(parseNameservers(text), ["10.0.0.53", "2001:db8::53"]);
});

test("the systemd-resolved stub alone is followed to the real servers", async () => {
  const f = tmp({ "resolv.conf": "nameserver 127.0.0.53\noptions edns0 trust-ad\n", "real.conf": "nameserver 10.1.1.1\nnameserver 10.1.1.2\n" });
  try {
    const ups = await readUpstreams(f.p("resolv.conf"), { systemdResolvConf: f.p("real.conf") });
    assert.deepEqual(ups, [{ address: "10.1.1.1", port: 53 }, { address: "10.1.1.2", port: 53 }]);
  } finally {
    f.done();
  }
});

test("the stub is kept when systemd's own file is missing; a stub next to other servers is not followed", async () => {
  const f = tmp({ "stub-only.conf": "nameserver 127.0.0.53\n", "mixed.conf": "nameserver 127.0.0.53\nnameserver 10.2.2.2\n", "real.conf": "nameserver 10.1.1.1\n" });
  try {
    assert.deepEqual(await readUpstreams(f.p("stub-only.conf"), { systemdResolvConf: f.p("absent.conf") }), [{ address: "127.0.0.53", port: 53 }]);
    assert.deepEqual((await readUpstreams(f.p("mixed.conf"), { systemdResolvConf: f.p("real.conf") })).map((u) => u.address), ["127.0.0.53", "10.2.2.2"]);
    assert.deepEqual(await readUpstreams(f.p("no-such-file")), []);
  } finally {
    f.done();
  }
});

test("upstreams that would loop to our own listeners are dropped", async () => {
  const f = tmp({ "resolv.conf": "nameserver 127.0.0.1\nnameserver 10.88.0.1\nnameserver 10.3.3.3\n" });
  try {
    const self = [{ address: "10.88.0.1", port: 53 }];
    assert.deepEqual((await readUpstreams(f.p("resolv.conf"), { self })).map((u) => u.address), ["127.0.0.1", "10.3.3.3"]);
    const wildcard = [{ address: "0.0.0.0", port: 53 }];
    assert.deepEqual((await readUpstreams(f.p("resolv.conf"), { self: wildcard })).map((u) => u.address), ["10.88.0.1", "10.3.3.3"]);
  } finally {
    f.done();
  }
});

test("wouldLoop: same address and port, or loopback behind a wildcard listener on that port", () => {
  assert.equal(wouldLoop({ address: "10.88.0.1", port: 53 }, [{ address: "10.88.0.1", port: 53 }]), true);
  assert.equal(wouldLoop({ address: "10.88.0.1", port: 53 }, [{ address: "10.88.0.1", port: 5353 }]), false);
  assert.equal(wouldLoop({ address: "::1", port: 53 }, [{ address: "::", port: 53 }]), true);
  assert.equal(wouldLoop({ address: "10.0.0.1", port: 53 }, [{ address: "0.0.0.0", port: 53 }]), false);
});
