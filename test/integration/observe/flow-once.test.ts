// One flow record per connection: conntrack calls every packet of a one-way UDP stream "new" (no
// answer yet), and each used to be logged, one record a packet, spending the flow-log budget of
// every other connection. On a bridge network and on a routed one (the path differs, the chain is one).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, eventually } from "../harness";

// N datagrams from one socket to one port (one connection), with no answer; then one to another port.
const STREAM = (ip: string, n: number) => `const s = require("dgram").createSocket("udp4");
let i = 0; const next = () => i++ < ${n} ? s.send("x", 7001, "${ip}", () => setTimeout(next, 2)) : s.send("y", 7002, "${ip}", () => s.close()); s.bind(41000, next);`;
const N = 40;

interface Status {
  recorded: number;
  lostRecords: number;
}

describe("flow records: one per connection", () => {
  let h: TestHost;

  before(async () => {
    h = await new TestHost("hfo").setUp();
    await h.pontonOk("network", "create", "once", "--subnet", "10.34.0.0/24");
    await h.pontonOk("network", "create", "ronce", "--driver", "routed", "--subnet", "10.35.0.0/24");
    for (const [name, net] of [["sink", "once"], ["src", "once"], ["rsink", "ronce"], ["rsrc", "ronce"]]) await h.pontonOk("run", "--name", name!, "--network", net!);
  });

  after(async () => {
    await h.tearDown();
  });

  for (const [src, sink] of [["src", "sink"], ["rsrc", "rsink"]] as const) {
    test(`${N} unanswered datagrams of one connection are one record (${src} → ${sink})`, async () => {
      const target = (JSON.parse(await h.pontonOk("inspect", sink)) as { networks: { ip4: string }[] }[])[0]!.networks[0]!.ip4;
      const before = await h.client.request<Status>("GET", "/v1/flows/status");
      const r = await h.inWorkload(src, process.execPath, ["-e", STREAM(target, N)], 20_000);
      assert.equal(r.code, 0, r.stderr);
      const list = (port: string) => h.client.request<unknown[]>("GET", `/v1/flows?from=${src}&to=${sink}&protocol=udp&port=${port}&limit=0`);
      // The second connection, sent last, is recorded once the first's packets all were.
      assert.ok(await eventually(async () => (await list("7002")).length === 1, 5000, 100), "the second connection is recorded");
      assert.equal((await list("7001")).length, 1, "one record for the connection, not one a packet");
      const now = await h.client.request<Status>("GET", "/v1/flows/status");
      assert.equal(now.lostRecords, before.lostRecords, "nothing counted lost");
    });
  }
});
