// HAProxy reaches a bridged workload from the client's own address (`usesrc clientip`) over one
// server connection per client connection, kept alive (`http-reuse never`): with several
// connections at once from each of two clients, the requests of one client connection are one
// connection at the workload, from that client's address, shared with no other.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, type Result } from "../harness";

// Answers "PEER-ADDRESS:PEER-PORT": the test sees which connection reached the workload.
const SERVER = `require("http").createServer((q, s) => s.end(q.socket.remoteAddress.replace(/^::ffff:/, "") + ":" + q.socket.remotePort + "\\n")).listen(80);`;

const POLICY = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: client}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: "/.*"}]}
`;
const N = 30;
/** Connections at once from each client. */
const K = 4;

describe("HTTP rules: server connections kept alive, each its own client's (HAProxy)", () => {
  let h: TestHost;
  let web = "";
  const ips: Record<string, string> = {};
  /** N GETs on one kept-alive connection (curl reuses it for each URL). */
  const requests = (from: string): Promise<Result> => h.inWorkload(from, "curl", ["-s", "-m", "20", "-w", "%{num_connects}\\n", ...Array.from({ length: N }, (_, i) => `http://${web}/${i}`)], 30_000);

  before(async () => {
    h = await new TestHost("l7r").setUp();
    await h.pontonOk("network", "create", "rw", "--subnet", "10.81.0.0/24");
    web = (JSON.parse(await h.pontonOk("run", "--name", "web", "--network", "rw", "--label", "app=web", "-o", "json", "--", process.execPath, "-e", SERVER)) as { networks: { ip4: string }[] }).networks[0]!.ip4;
    for (const c of ["c1", "c2"]) ips[c] = (JSON.parse(await h.pontonOk("run", "--name", c, "--network", "rw", "--label", "app=client", "-o", "json")) as { networks: { ip4: string }[] }).networks[0]!.ip4;
    assert.ok(await eventually(async () => (await h.inWorkload("c1", "curl", ["-s", "-m", "2", `http://${web}/`])).stdout.startsWith(ips.c1!), 15_000, 200), "web answers before any policy");
    const file = path.join(h.dir, "web.yaml");
    writeFileSync(file, POLICY);
    await h.pontonOk("policy", "apply", "-f", file);
  });
  after(() => h.tearDown());

  test("two clients, several connections each at once: every request from its own client's address, one workload connection per client connection", async () => {
    const runs = await Promise.all(["c1", "c2"].flatMap((c) => Array.from({ length: K }, async () => [c, await requests(c)] as const)));
    for (const [c, r] of runs) {
      const lines = r.stdout.trim().split("\n");
      const answers = lines.filter((l) => l.includes(":"));
      assert.equal(answers.length, N, `${c}: ${r.stdout}`);
      // curl's -w after each answer: 1 for the first (its connection), 0 for the reused one.
      assert.deepEqual(lines.filter((l) => !l.includes(":")), ["1", ...Array<string>(N - 1).fill("0")], `${c} kept its connection`);
      assert.ok(answers.every((a) => a.startsWith(`${ips[c]}:`)), `${c}'s requests arrive from ${ips[c]}: ${answers.join(" ")}`);
      assert.equal(new Set(answers).size, 1, `${c}'s ${N} requests on one connection reach the workload over one connection: ${[...new Set(answers)].join(" ")}`);
    }
    // And no two client connections share one at the workload.
    assert.equal(new Set(runs.map(([, r]) => r.stdout.split("\n")[0])).size, 2 * K);
  });
});
