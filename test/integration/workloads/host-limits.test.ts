// Machine-wide limits (issue 20): ponton-watch keeps one descriptor per workload namespace, so the
// open-file hard limit pontond runs under bounds the workloads it can watch. Past it the watcher
// would stop watching in silence (no repair); instead the next workload is refused with HOST_LIMIT
// naming RLIMIT_NOFILE and how to raise it; a removed workload frees its descriptor for the next.
// The limit is lowered for this test process and the pontond it starts only (raising a hard limit
// back needs CAP_SYS_RESOURCE, which the test may not have: the process ends with this file).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TestHost, sh } from "../harness";
import { OPEN_FILES_RESERVED } from "../../../src/model/limits";

const HARD = 160;
const h = new TestHost("hlim");

before(async () => {
  assert.equal((await sh("prlimit", ["--pid", String(process.pid), `--nofile=${HARD}:${HARD}`])).code, 0);
  await h.setUp();
});
after(() => h.tearDown());

test("the workload past what the open-file limit leaves for the watcher is refused with HOST_LIMIT naming RLIMIT_NOFILE; a removed one makes room", async () => {
  const pid = h.daemonPid!;
  assert.match(readFileSync(`/proc/${pid}/limits`, "utf8"), new RegExp(`Max open files\\s+\\d+\\s+${HARD}\\s`));
  const most = HARD - OPEN_FILES_RESERVED;
  for (let i = 0; i < most; i++) await h.client.request("POST", "/v1/workloads", { name: `w${i}`, networks: ["bridge"] });
  const r = await h.ponton("run", "--name", "past", "--network", "bridge");
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /HOST_LIMIT/);
  assert.match(r.stderr, new RegExp(`${most} workload namespaces .*RLIMIT_NOFILE hard limit ${HARD}`));
  assert.match(r.stderr, /LimitNOFILE=/);
  assert.equal((await sh("ip", ["netns", "list"])).stdout.includes(h.ns("past")), false, "nothing made for the refused workload");

  await h.pontonOk("rm", "-f", "w0");
  await h.pontonOk("run", "--name", "past", "--network", "bridge");
  assert.equal((await h.client.request<unknown[]>("GET", "/v1/workloads")).length, most);
});
