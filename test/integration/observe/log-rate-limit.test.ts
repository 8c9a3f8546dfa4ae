// The kernel's log rate limit never loses records silently: a drop flood beyond the drop log's
// budget (1,000/s, burst 1,000) is logged up to the limit, and the packets over it are counted in
// the table (named counters around the limit) and reported as lost by `flows status`, `observe`
// and the metrics: every dropped packet is a record, counted lost by NFLOG, or counted over the limit.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost, eventually } from "../harness";

// UDP to N distinct ports, as fast as the workload sends.
const BURST = (ip: string, n: number) => `const s = require("dgram").createSocket("udp4");
let i = 0; const next = () => i < ${n} ? s.send("x", 20000 + (i++ % 40000), "${ip}", next) : s.close(); next();`;
const N = 20_000;

interface Status {
  recorded: number;
  lostRecords: number;
  rateLimited?: { drop: number; flow: number };
}

describe("log rate limit", () => {
  let h: TestHost;
  let target = "";

  before(async () => {
    h = new TestHost("hor");
    await h.setUp();
    // No traffic between workloads of this network: every packet goes to drop_icc_off, which logs within budget.
    await h.pontonOk("network", "create", "closed", "--subnet", "10.34.0.0/24", "--no-icc");
    target = (JSON.parse(await h.pontonOk("run", "--name", "sink", "--network", "closed", "-o", "json")) as { networks: { ip4: string }[] }).networks[0]!.ip4;
    await h.pontonOk("run", "--name", "src", "--network", "closed");
  });

  after(async () => {
    await h.tearDown();
  });

  test("drops over the log budget are counted lost, never silently", async (t) => {
    const status = () => h.client.request<Status>("GET", "/v1/flows/status");
    const before = await status();
    assert.deepEqual(before.rateLimited, { drop: 0, flow: 0 });
    const r = await h.inWorkload("src", process.execPath, ["-e", BURST(target, N)], 60_000);
    assert.equal(r.code, 0, r.stderr);
    const ours = async () => (await h.client.request<{ dropReason?: string }[]>("GET", "/v1/flows?from=src&to=sink&protocol=udp&limit=0")).filter((x) => x.dropReason === "ICC_OFF").length;
    let now = before;
    let records = 0;
    await eventually(async () => {
      now = await status();
      records = await ours();
      return records + now.lostRecords - before.lostRecords + now.rateLimited!.drop >= N;
    }, 20_000, 300);
    const over = now.rateLimited!.drop;
    t.diagnostic(`${N} packets: ${records} records, ${now.lostRecords - before.lostRecords} lost by NFLOG, ${over} over the log limit`);
    const lost = now.lostRecords - before.lostRecords;
    // N packets in well under N/1,000 s: most are over the budget.
    assert.ok(over > 0, `packets over the log budget are counted (records ${records})`);
    assert.ok(records >= 1000, `the budget's burst is logged: ${records} records`);
    // Each dropped packet is a record, lost by NFLOG or over the limit; a background packet of the
    // workloads (IPv6 neighbour discovery) dropped by the same chain may add one or two.
    assert.ok(records + lost + over <= N + 4, `${records} records + ${lost} lost + ${over} over the limit for ${N} packets`);

    const table = await h.pontonOk("flows", "status");
    assert.match(table, new RegExp(`\\+ ${over + now.rateLimited!.flow} over the log rate limit`));
    const observed = await h.ponton("observe", "--last", "1");
    assert.match(observed.stderr, new RegExp(`packets not logged since pontond started, over the kernel's log rate limit \\(${over} drops`));
    const metrics = await h.inHost("curl", ["-s", "--unix-socket", h.socket, "http://ponton/metrics"]);
    assert.match(metrics.stdout, new RegExp(`^ponton_flow_records_rate_limited_total\\{log="drop"\\} ${over}$`, "m"));
  });

  test("a table replaced whole keeps the count (its counters restart at 0)", async () => {
    const status = () => h.client.request<Status>("GET", "/v1/flows/status");
    const before = (await status()).rateLimited!.drop;
    assert.ok(before > 0);
    // `ponton reconcile` replaces the table whole.
    await h.pontonOk("reconcile");
    const counters = JSON.parse((await h.inHost("nft", ["-j", "list", "counters", "table", "inet", "ponton"])).stdout) as { nftables: { counter?: { name: string; packets: number } }[] };
    const seen = counters.nftables.find((o) => o.counter?.name === "log_drop_seen")?.counter?.packets;
    assert.ok(seen !== undefined && seen < before, `the new table's counters restarted (seen ${seen})`);
    assert.ok((await status()).rateLimited!.drop >= before);
  });
});
