// bin/ponton-neigh writes the host's neighbour entries in place of `ip neigh` (which first dumps every
// link of the host: O(workloads²) in the kernel per workload made). It must write what ip writes and
// fail as ip fails, since pontond reads ip's messages ("Cannot find device").
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { TestHost, sh } from "../harness";

const NEIGH = path.resolve(__dirname, "..", "..", "..", "..", "bin", "ponton-neigh");

describe("ponton-neigh", () => {
  let h: TestHost;
  const veth = "ngv0";
  before(async () => {
    h = await new TestHost("ng").setUp();
    for (const args of [["link", "add", veth, "type", "veth", "peer", "name", "ngv1"], ["link", "set", veth, "up"]]) assert.equal((await h.inHost("ip", args)).code, 0);
  });
  after(async () => h.tearDown());

  const run = (lines: string[]) => sh("nsenter", [`--net=/run/netns/${h.hostNs}`, NEIGH], { input: lines.map((l) => `${l}\n`).join("") });
  const entries = async (args: string[]) => JSON.parse((await h.inHost("ip", ["-j", ...args])).stdout || "[]") as { dst: string; lladdr?: string; state?: string[] }[];

  test("permanent IPv4 and IPv6 entries and an NDP proxy entry, replaced in place, then deleted", async () => {
    const r = await run([
      `neigh replace 10.62.0.2 lladdr 02:42:0a:3e:00:02 dev ${veth} nud permanent`,
      `neigh replace fd00:62::2 lladdr 02:42:0a:3e:00:03 dev ${veth} nud permanent`,
      `neigh replace proxy fd00:62::1 dev ${veth}`,
      `neigh replace 10.62.0.2 lladdr 02:42:0a:3e:00:04 dev ${veth} nud permanent`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const neigh = await entries(["neigh", "show", "dev", veth]);
    assert.deepEqual(neigh.map((n) => [n.dst, n.lladdr, n.state]).sort(), [["10.62.0.2", "02:42:0a:3e:00:04", ["PERMANENT"]], ["fd00:62::2", "02:42:0a:3e:00:03", ["PERMANENT"]]]);
    assert.deepEqual((await entries(["-6", "neigh", "show", "proxy", "dev", veth])).map((n) => n.dst), ["fd00:62::1"]);
    assert.equal((await run([`neigh del 10.62.0.2 dev ${veth}`])).code, 0);
    assert.deepEqual((await entries(["-4", "neigh", "show", "dev", veth])).map((n) => n.dst), []);
  });

  test("fails as ip -batch does: stops at the failing line and says why", async () => {
    const missing = await run([`neigh replace 10.62.0.5 lladdr 02:42:0a:3e:00:05 dev ngnope nud permanent`, `neigh replace 10.62.0.6 lladdr 02:42:0a:3e:00:06 dev ${veth} nud permanent`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Cannot find device "ngnope"\nCommand failed -:1/);
    assert.deepEqual((await entries(["-4", "neigh", "show", "dev", veth])).map((n) => n.dst), [], "nothing after the failing line");
    const absent = await run([`neigh del 10.62.0.9 dev ${veth}`]);
    assert.notEqual(absent.code, 0);
    assert.match(absent.stderr, /RTNETLINK answers: No such file or directory\nCommand failed -:1/);
    const odd = await run([`neigh replace 10.62.0.7 dev ${veth} nud stale`]);
    assert.equal(odd.code, 2);
    assert.match(odd.stderr, /unsupported line 1/);
  });
});
