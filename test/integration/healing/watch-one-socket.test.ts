// ponton-watch reads every workload namespace through one netlink socket (NETLINK_LISTEN_ALL_NSID):
// its descriptors stay the same however many workloads there are, damage inside the last of many is
// still repaired, and a namespace deleted and made again under the same name (a new namespace, a new
// nsid) is still watched.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { TestHost, eventually } from "../harness";

const REPAIR_MS = 5_000;
const MANY = 30;

/** The ponton-watch process pontond started (a child of one of its threads). */
function watcherPid(daemon: number): number {
  for (const task of readdirSync(`/proc/${daemon}/task`)) {
    for (const child of readFileSync(`/proc/${daemon}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) {
      if (readFileSync(`/proc/${child}/comm`, "utf8").trim() === "ponton-watch") return Number(child);
    }
  }
  throw new Error("no ponton-watch under pontond");
}

/** What its descriptors are (sockets and anonymous inodes by kind, not by inode number). */
function descriptors(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/\[\d+\]$/, "");
    } catch {
      return "gone";
    }
  });
}

describe("one socket for every workload namespace", () => {
  let h: TestHost;
  /** The workload's IPv4 address on eth0, or "" (none, or no namespace). */
  const ip4 = async (w: string) => /10\.61\.0\.\d+\/24/.exec((await h.inWorkload(w, "ip", ["-br", "-4", "addr", "show", "dev", "eth0"])).stdout)?.[0] ?? "";

  before(async () => {
    h = await new TestHost("wo").setUp();
    await h.pontonOk("network", "create", "wn", "--subnet", "10.61.0.0/24");
  });
  after(() => h.tearDown());

  test(`the watcher holds as many descriptors with ${MANY} workloads as with 1, and repairs damage inside the ${MANY}th`, async () => {
    await h.pontonOk("run", "--name", "w0", "--network", "wn");
    const pid = watcherPid(h.daemonPid!);
    const withOne = descriptors(pid);
    for (let i = 1; i < MANY; i++) await h.client.request("POST", "/v1/workloads", { name: `w${i}`, networks: ["wn"] });
    assert.equal(watcherPid(h.daemonPid!), pid, "the same watcher (not restarted)");
    assert.deepEqual(descriptors(pid).sort(), withOne.sort(), `the same descriptors with ${MANY} workloads`);
    assert.ok(withOne.length < 16, `a handful of descriptors: ${withOne.join(" ")}`);

    const last = `w${MANY - 1}`;
    const before = await ip4(last);
    assert.notEqual(before, "");
    await h.inWorkload(last, "ip", ["addr", "flush", "dev", "eth0"]);
    assert.equal(await ip4(last), "");
    assert.ok(await eventually(async () => (await ip4(last)) === before, REPAIR_MS, 50), `${last}'s address back`);
  });

  test("a namespace deleted and made again under the same name is watched: damage inside the new one is repaired", async () => {
    await h.pontonOk("run", "--name", "again", "--network", "wn", "--restart", "always");
    // A mark only the first namespace carries (an inode number can be reused by the next one).
    const loMtu = async () => (await h.inWorkload("again", "cat", ["/sys/class/net/lo/mtu"])).stdout.trim();
    assert.equal((await h.inWorkload("again", "ip", ["link", "set", "lo", "mtu", "1234"])).code, 0);
    assert.equal(await loMtu(), "1234");
    assert.equal((await h.inHost("ip", ["netns", "del", h.ns("again")])).code, 0);
    // --restart always: the healer makes the namespace again under the same name.
    assert.ok(await eventually(async () => (await ip4("again")) !== "", REPAIR_MS, 50), "made again with its address");
    assert.notEqual(await loMtu(), "1234", "a new namespace");
    const made = await ip4("again");
    await h.inWorkload("again", "ip", ["addr", "flush", "dev", "eth0"]);
    assert.equal(await ip4("again"), "");
    assert.ok(await eventually(async () => (await ip4("again")) === made, REPAIR_MS, 50), "the new namespace's address back");
  });
});
