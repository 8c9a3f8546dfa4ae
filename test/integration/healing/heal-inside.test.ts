// Damage inside workload namespaces heals from kernel events too (ponton-watch reads every workload
// namespace through one netlink socket): a macvlan sub-interface deleted, an address deleted, a link
// set down. A workload that is broken stops answering in DNS.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, inspect, ping, sh } from "../harness";

const REPAIR_MS = 5_000;

describe("the healer repairs damage inside workload namespaces", () => {
  let h: TestHost;
  let peer: string;
  const inPeer = (cmd: string, args: string[], t = 10_000) => sh("ip", ["netns", "exec", peer, cmd, ...args], { timeoutMs: t });
  const addrs = async (w: string, dev = "eth0") => (await h.inWorkload(w, "ip", ["-br", "addr", "show", "dev", dev])).stdout;
  const defaultRoute = async (w: string) => (await h.inWorkload(w, "ip", ["route", "show", "default"])).stdout;

  before(async () => {
    h = await new TestHost("hi").setUp();
    peer = `${h.prefix}-PEER`;
    await sh("ip", ["netns", "add", peer]);
    await h.inHost("ip", ["link", "add", "seg0", "type", "veth", "peer", "name", "eth0", "netns", peer]);
    await h.inHost("ip", ["link", "set", "seg0", "up"]);
    await sh("ip", ["-n", peer, "addr", "add", "192.168.78.1/24", "dev", "eth0"]);
    await sh("ip", ["-n", peer, "link", "set", "eth0", "up"]);
    await h.pontonOk("network", "create", "lan", "--driver", "macvlan", "--parent", "seg0", "--subnet", "192.168.78.0/24", "--gateway", "192.168.78.1");
    await h.pontonOk("network", "create", "hn", "--subnet", "10.59.0.0/24");
    await h.pontonOk("run", "--name", "m1", "--network", "lan", "--ip", "192.168.78.10", "--", "sleep", "3600");
    await h.pontonOk("run", "--name", "b1", "--network", "hn");
    await h.pontonOk("run", "--name", "b2", "--network", "hn");
  });
  after(async () => {
    await h.tearDown();
    await sh("ip", ["netns", "del", peer]);
  });

  test("a macvlan sub-interface deleted inside a live namespace is made again (address, default route, reachable)", async () => {
    assert.ok(await ping(h, "m1", "192.168.78.1"));
    const pid = (await inspect(h, "m1")).pid;
    await h.inWorkload("m1", "ip", ["link", "del", "eth0"]);
    assert.ok(await eventually(async () => /192\.168\.78\.10\/24/.test(await addrs("m1")), REPAIR_MS, 50), "eth0 and its address are back");
    assert.match((await h.inWorkload("m1", "ip", ["-d", "link", "show", "eth0"])).stdout, /macvlan mode bridge/);
    assert.ok(await eventually(async () => /default via 192\.168\.78\.1 dev eth0/.test(await defaultRoute("m1")), REPAIR_MS, 50), "default route back");
    assert.ok(await eventually(async () => (await inPeer("ping", ["-c", "1", "-W", "1", "192.168.78.10"])).code === 0, REPAIR_MS, 100), "the peer reaches it again");
    const after = await inspect(h, "m1");
    assert.equal(after.state, "running");
    assert.equal(after.pid, pid, "the process was left running");
  });

  test("an address deleted inside a workload's namespace comes back, with its default route", async () => {
    await h.inWorkload("b1", "ip", ["addr", "flush", "dev", "eth0"]);
    assert.ok(await eventually(async () => /10\.59\.0\.2\/24/.test(await addrs("b1")), REPAIR_MS, 50), "address back");
    assert.ok(await eventually(async () => /default via 10\.59\.0\.1 dev eth0/.test(await defaultRoute("b1")), REPAIR_MS, 50), "default route back");
    assert.ok(await ping(h, "b1", "10.59.0.3"));
    // A link set down inside comes up again.
    await h.inWorkload("b2", "ip", ["link", "set", "eth0", "down"]);
    assert.ok(await eventually(async () => /\bUP\b/.test(await addrs("b2")) && /default via/.test(await defaultRoute("b2")), REPAIR_MS, 50), "eth0 up again");
  });

  test("a broken workload's DNS name stops answering; started again, it answers", async () => {
    const dig = async (name: string) => (await h.inWorkload("b2", "dig", ["+time=2", "+tries=1", `${name}.ponton.internal`])).stdout;
    assert.match(await dig("b1"), /status: NOERROR/);
    await sh("ip", ["netns", "del", h.ns("b1")]);
    assert.ok(await eventually(async () => (await inspect(h, "b1")).state === "broken", REPAIR_MS, 50), "b1 broken");
    assert.ok(await eventually(async () => /status: NXDOMAIN/.test(await dig("b1")), REPAIR_MS, 100), "its name is gone");
    await h.pontonOk("start", "b1");
    assert.match(await dig("b1"), /status: NOERROR/);
  });

  test("a sub-interface that cannot be made again (its parent is gone) marks the workload broken", async () => {
    await h.inHost("ip", ["link", "del", "seg0"]);
    assert.ok(await eventually(async () => (await inspect(h, "m1")).state === "broken", REPAIR_MS, 50), "m1 broken");
    assert.match(readFileSync(path.join(h.dir, "pontond.log"), "utf8"), /workload m1 is broken: its interfaces could not be rebuilt/);
  });
});
