// One flow record for each way forward lets a new connection through, now that the records are
// written in forward itself (at each accept of ours and at its end) instead of a chain after it,
// and by that chain again while the user hook holds a rule (whose accept ends forward): same
// network (bridge and routed), between networks (--route-to), a published port from outside,
// egress to the outside, a user rule's accept, and the host's own connections; drops keep theirs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, eventually, OUTSIDE_A, UPLINK_HOST } from "../harness";
import type { FlowRecord } from "../../../src/flows";

// TCP 80, 5679 and 5680 answer "ok".
const SERVE = `const net = require("net");
for (const p of [80, 5679, 5680]) net.createServer((s) => { s.on("error", () => {}); s.end("ok"); }).listen(p);`;

describe("a flow record for every kind of forward verdict", () => {
  let h: TestHost;
  const ip = new Map<string, string>();
  const get = (run: (c: string, a: string[], t?: number) => Promise<{ stdout: string }>, addr: string, port: number) =>
    run("socat", ["-T1", "-u", `TCP:${addr}:${port},connect-timeout=1`, "-"], 5000).then((r) => r.stdout);
  const from = (w: string) => (c: string, a: string[], t?: number) => h.inWorkload(w, c, a, t);
  let since = new Date();
  const records = async (q: Record<string, string>) => {
    let found: FlowRecord[] = [];
    const args = Object.entries({ since: since.toISOString(), ...q }).flatMap(([k, v]) => [`--${k}`, v]);
    await eventually(async () => (found = JSON.parse(await h.pontonOk("observe", ...args, "-o", "json")) as FlowRecord[]).length > 0, 5000, 100);
    return found;
  };

  before(async () => {
    h = await new TestHost("fv").setUp();
    await h.pontonOk("network", "create", "va", "--subnet", "10.36.0.0/24");
    await h.pontonOk("network", "create", "vr", "--driver", "routed", "--subnet", "10.37.0.0/24", "--route-to", "va");
    await h.pontonOk("network", "create", "vi", "--subnet", "10.38.0.0/24");
    const run = async (name: string, network: string, ...extra: string[]) => {
      const w = JSON.parse(await h.pontonOk("run", "--name", name, "--network", network, ...extra, "-o", "json", "--", process.execPath, "-e", SERVE)) as { networks: { ip4: string }[] };
      ip.set(name, w.networks[0]!.ip4);
    };
    await run("a1", "va");
    await run("a2", "va", "-p", "8090:80");
    await run("r1", "vr");
    await run("r2", "vr");
    await run("i1", "vi");
    h.spawnIn(h.outsideNs, process.execPath, ["-e", SERVE]);
    assert.ok(await eventually(async () => (await get(from("a1"), ip.get("a2")!, 80)) === "ok", 10_000, 200), "a2 answers");
    assert.ok(await eventually(async () => (await get(from("a1"), OUTSIDE_A, 80)) === "ok", 10_000, 200), "the outside answers");
  });
  after(() => h.tearDown());

  const forwarded = async (q: Record<string, string>) => {
    const [r] = await records({ verdict: "FORWARDED", protocol: "tcp", ...q });
    assert.ok(r, JSON.stringify(q));
    return r;
  };

  test("same network, bridge and routed: recorded with both interfaces", async () => {
    since = new Date();
    assert.equal(await get(from("a1"), ip.get("a2")!, 5680), "ok");
    assert.equal(await get(from("r1"), ip.get("r2")!, 5680), "ok");
    const bridge = await forwarded({ from: "a1", to: "a2", port: "5680" });
    assert.ok(bridge.interfaces.in && bridge.interfaces.out, JSON.stringify(bridge.interfaces));
    const routed = await forwarded({ from: "r1", to: "r2", port: "5680" });
    assert.ok(routed.interfaces.in && routed.interfaces.out, JSON.stringify(routed.interfaces));
  });

  test("between networks (--route-to), a published port from outside, egress to the outside", async () => {
    since = new Date();
    assert.equal(await get(from("r1"), ip.get("a1")!, 5680), "ok");
    assert.equal(await get((c, a, t) => h.inOutside(c, a, t), UPLINK_HOST, 8090), "ok");
    assert.equal(await get(from("a1"), OUTSIDE_A, 5680), "ok");
    await forwarded({ from: "r1", to: "a1", port: "5680" });
    const published = await forwarded({ to: "a2", port: "80" });
    assert.equal(published.source.ip, OUTSIDE_A);
    assert.notEqual(published.source.host, true, "from the outside, not the host");
    const egress = await forwarded({ from: "a1", port: "5680" });
    assert.deepEqual([egress.destination.ip, egress.destination.host], [OUTSIDE_A, undefined]);
  });

  test("isolation still drops with its reason, and the host's own connections are recorded", async () => {
    since = new Date();
    assert.notEqual(await get(from("i1"), ip.get("a1")!, 5680), "ok");
    const [iso] = await records({ from: "i1", verdict: "DROPPED" });
    assert.equal(iso?.dropReason, "NETWORK_ISOLATION");
    assert.equal(await get((c, a, t) => h.inHost(c, a, t), ip.get("r1")!, 5680), "ok");
    const out = await forwarded({ from: "host", to: "r1", port: "5680" });
    assert.equal(out.source.host, true);
  });

  test("a user rule's accept (it ends forward) is recorded, and records are written in forward again once it goes", async () => {
    // i1 is isolated from va: only the user rule lets this connection through.
    const added = JSON.parse(await h.pontonOk("firewall", "add", `ip saddr ${ip.get("i1")} tcp dport 5679 accept`, "-o", "json")) as { id: number };
    try {
      since = new Date();
      assert.equal(await get(from("i1"), ip.get("a1")!, 5679), "ok");
      await forwarded({ from: "i1", to: "a1", port: "5679" });
      assert.match((await h.inHost("nft", ["list", "chain", "inet", "ponton", "flow_log"])).stdout, /hook forward priority filter \+ 10/);
    } finally {
      await h.pontonOk("firewall", "rm", String(added.id));
    }
    assert.notEqual((await h.inHost("nft", ["list", "chain", "inet", "ponton", "flow_log"])).code, 0, "no flow_log chain without a user rule");
    since = new Date();
    assert.equal(await get(from("a2"), ip.get("a1")!, 5679), "ok");
    await forwarded({ from: "a2", to: "a1", port: "5679" });
  });
});
