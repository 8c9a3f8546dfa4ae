// A busy node keeps its lease: its keep-alive runs on a thread and an etcd connection of its own,
// so a daemon thread held busy for longer than the lease's TTL (a recompile over every node's
// workloads on a loaded machine) never lets the `alive` key expire — the node stays Ready and
// the other nodes keep its workloads. etcd3's keep-alive on the busy thread is the control.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { sh } from "../harness";
import { Underlay } from "../underlay";

const TTL_S = 2;
const BUSY_MS = 3.5 * TTL_S * 1000;

interface Probe {
  registrations: number;
  before: { created: string; lease: string };
  after: { created: string; lease: string } | null;
}

describe("the node's lease under a busy daemon thread", () => {
  const ul = new Underlay("lk");
  before(async () => {
    await ul.setUp();
    await ul.startEtcd(1);
  });
  after(() => ul.tearDown());

  const probe = async (keeper: "thread" | "inline"): Promise<Probe> => {
    const r = await sh("nsenter", [`--net=/run/netns/${ul.members[0]!.netns}`, process.execPath, path.join(__dirname, "lease-probe.js"), ul.endpoints[0]!, String(TTL_S), String(BUSY_MS), keeper], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Probe;
  };

  test("the lease thread keeps the alive key through a busy spell of 3.5 TTLs: same key, same lease, one registration", async () => {
    const p = await probe("thread");
    assert.deepEqual(p.after, p.before);
    assert.equal(p.registrations, 1);
  });

  test("control: a keep-alive on the busy thread loses the key (what the lease thread prevents)", async () => {
    const p = await probe("inline");
    assert.equal(p.after, null);
  });
});
