// CiliumNetworkPolicy rules.dns and toFQDNs through pontond, on the real kernel: the upstream is a
// resolver the test runs in its outside namespace; the "internet" is addresses of that namespace
// with a TCP server on 443 and 8443. Names, verdicts, the connect right after the answer, another
// address, TTL expiry, and a pontond restart (SIGKILL) that must not drop what was learned.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, sleep, OUTSIDE_A } from "../harness";
import { FQDN_POLICY as POLICY } from "./fqdn-policy";

// 198.51.100.0/24 is the outside namespace's; the test adds these addresses to it.
const FRESH = [10, 11, 12, 13, 14, 15, 16, 17].map((n) => `198.51.100.${n}`);
const ALLOWED = "198.51.100.20";
const NOT_RESOLVED = "198.51.100.21";
const SHORT = "198.51.100.22";
const LONG = "198.51.100.23";
const TABLE: Record<string, [string, number]> = {
  "allowed.example.test": [ALLOWED, 60],
  "short.example.test": [SHORT, 1],
  "long.example.test": [LONG, 300],
  "evil.other.test": [NOT_RESOLVED, 60],
  ...Object.fromEntries(FRESH.map((a, i) => [`fresh-${i}.example.test`, [a, 60]])),
};


const SERVE = `const net = require("net"); for (const p of [443, 8443]) net.createServer((s) => { s.on("error", () => {}); s.end("ok"); }).listen(p);`;

describe("CiliumNetworkPolicy rules.dns and toFQDNs through pontond", () => {
  let h: TestHost;
  const dig = async (from: string, name: string) => {
    const r = await h.inWorkload(from, "dig", ["+time=2", "+tries=1", name, "A"]);
    return { status: /status: (\w+)/.exec(r.stdout)?.[1], answer: /\tIN\tA\t([0-9.]+)/.exec(r.stdout)?.[1] };
  };
  const connect = async (from: string, ip: string, port = 443) => (await h.inWorkload(from, "socat", ["-T1", "-u", `TCP:${ip}:${port},connect-timeout=1`, "-"])).stdout === "ok";

  before(async () => {
    h = new TestHost("fq");
    h.daemonArgs = ["--fqdn-grace", "1"];
    await h.setUp();
    for (const a of [...FRESH, ALLOWED, NOT_RESOLVED, SHORT, LONG]) await h.inOutside("ip", ["addr", "add", `${a}/24`, "dev", "eth0"]);
    h.spawnIn(h.outsideNs, process.execPath, [path.join(__dirname, "fqdn-upstream.js"), OUTSIDE_A, "53", JSON.stringify(TABLE)]);
    h.spawnIn(h.outsideNs, process.execPath, ["-e", SERVE]);
    await h.pontonOk("network", "create", "front", "--subnet", "172.44.0.0/24");
    await h.pontonOk("run", "--name", "app", "--network", "front", "--label", "app=app");
    await h.pontonOk("run", "--name", "other", "--network", "front", "--label", "app=other");
    assert.ok(await eventually(async () => (await dig("app", "evil.other.test")).answer === NOT_RESOLVED, 10_000, 200), "the upstream answers before any policy");
    assert.ok(await eventually(() => connect("app", ALLOWED), 10_000, 200), "outside reachable before any policy");
    const file = path.join(h.dir, "fqdn.yaml");
    writeFileSync(file, POLICY);
    await h.pontonOk("policy", "apply", "-f", file);
    await h.inHost("conntrack", ["-F"]);
  });
  after(() => h.tearDown());

  test("a name no rules.dns allows is REFUSED, recorded with its name; an unwatched workload resolves it", async () => {
    assert.deepEqual(await dig("app", "evil.other.test"), { status: "REFUSED", answer: undefined });
    assert.equal((await dig("app", "example.test")).status, "REFUSED", "*.example.test needs a label before example.test");
    assert.deepEqual(await dig("other", "evil.other.test"), { status: "NOERROR", answer: NOT_RESOLVED });
    const flows = JSON.parse(await h.pontonOk("observe", "--dns", "evil.other.test", "-o", "json")) as { verdict: string; source: { workload?: string }; dns: { query: string; verdict: string }; policies: string[] }[];
    assert.equal(flows.length, 1, "one record: the other workload's query is not watched");
    assert.equal(flows[0]!.verdict, "REJECTED");
    assert.equal(flows[0]!.source.workload, "app");
    assert.deepEqual(flows[0]!.dns.verdict, "REFUSED");
    assert.deepEqual(flows[0]!.policies, ["cnp:default/fqdn"]);
    const explain = JSON.parse(await h.pontonOk("policy", "explain", "--from", "app", "--dns", "evil.other.test", "-o", "json")) as { resolves: boolean; policed: boolean };
    assert.deepEqual([explain.resolves, explain.policed], [false, true]);
    const text = await h.pontonOk("policy", "explain", "--from", "app", "--dns", "www.example.test");
    assert.match(text, /RESOLVES: default\/app .* allowed by cnp:default\/fqdn egress\[0\] \(matchPattern: \*\.example\.test\)/);
    assert.match(text, /its answers open cnp:default\/fqdn egress\[1\] \(toFQDNs\) on 443\/tcp/);
  });

  test("toFQDNs: the connect right after the answer succeeds, every time; other addresses and ports stay closed", async () => {
    assert.equal(await connect("app", FRESH[0]!), false, "not resolved yet: dropped");
    // The SYN leaves on the tick the answer arrives: the element must be in the kernel before the answer left.
    const client = [path.join(__dirname, "fqdn-client.js"), "172.44.0.1", "443", ...FRESH.map((_, i) => `fresh-${i}.example.test`)];
    const lines = (await h.inWorkload("app", process.execPath, client, 30_000)).stdout.trim().split("\n");
    assert.deepEqual(lines, FRESH.map((a) => `${a} ok`));
    assert.equal(await connect("app", NOT_RESOLVED), false, "an address no answer gave");
    assert.equal(await connect("app", FRESH[0]!, 8443), false, "a port the rule does not list");
    assert.equal(await connect("other", FRESH[1]!), true, "the unselected workload is not isolated");
    const explain = JSON.parse(await h.pontonOk("policy", "explain", "--from", "app", "--to", FRESH[2]!, "--port", "443/tcp", "-o", "json")) as {
      allowed: boolean; egress: { allowedBy: { policy: string; ruleIndex: number }[] }; fqdn: { names: string[] };
    };
    assert.equal(explain.allowed, true);
    assert.deepEqual(explain.egress.allowedBy, [{ policy: "cnp:default/fqdn", direction: "egress", ruleIndex: 1 }]);
    assert.deepEqual(explain.fqdn.names, ["fresh-2.example.test"]);
    const denied = JSON.parse(await h.pontonOk("policy", "explain", "--from", "app", "--to", NOT_RESOLVED, "--port", "443/tcp", "-o", "json")) as { allowed: boolean };
    assert.equal(denied.allowed, false);
    const flows = JSON.parse(await h.pontonOk("observe", "--dns", "fresh-3.example.test", "-o", "json")) as { verdict: string; dns: { opened?: string[] }; rule?: { ruleIndex: number } }[];
    assert.equal(flows.at(-1)!.verdict, "FORWARDED");
    assert.deepEqual(flows.at(-1)!.dns.opened, [FRESH[3]]);
    // The connection's own flow record names the toFQDNs rule (ct mark = its id).
    assert.ok(await eventually(async () => {
      const conns = JSON.parse(await h.pontonOk("observe", "--to", FRESH[3]!, "-o", "json")) as { rule?: { ruleIndex: number } }[];
      return conns.some((c) => c.rule?.ruleIndex === 1);
    }, 5_000, 200), "the admitted connection is recorded with the toFQDNs rule");
  });

  test("TTL expiry: after TTL + grace the address is closed again, by the kernel alone", async () => {
    assert.equal((await dig("app", "short.example.test")).answer, SHORT);
    assert.equal(await connect("app", SHORT), true);
    const listed = (await h.inHost("nft", ["list", "map", "inet", "ponton", "pol_fqdn_port_v4"])).stdout;
    assert.match(listed, new RegExp(`${SHORT.replace(/\./g, "\\.")} \\. tcp \\. 443 timeout 2s`), "TTL 1 + grace 1");
    await sleep(3000);
    assert.equal(await connect("app", SHORT), false);
  });

  test("a pontond restart drops nothing: the kernel keeps enforcing while it is away, and it re-learns on start", async () => {
    assert.equal((await dig("app", "long.example.test")).answer, LONG);
    assert.equal(await connect("app", LONG), true);
    await h.stopDaemon("SIGKILL");
    assert.equal(await connect("app", LONG), true, "allowed with no daemon at all");
    assert.equal(await connect("app", NOT_RESOLVED), false, "and the rest still dropped");
    await h.startDaemon();
    assert.equal(await connect("app", LONG), true, "allowed after the start's full reload");
    const listed = (await h.inHost("nft", ["list", "map", "inet", "ponton", "pol_fqdn_port_v4"])).stdout;
    assert.match(listed, new RegExp(`${LONG.replace(/\./g, "\\.")} \\. tcp \\. 443 timeout 5m1s expires`), "the element kept its timeout");
    const explain = JSON.parse(await h.pontonOk("policy", "explain", "--from", "app", "--to", LONG, "--port", "443/tcp", "-o", "json")) as { allowed: boolean; fqdn: { learnedBeforeRestart: boolean } };
    assert.deepEqual([explain.allowed, explain.fqdn.learnedBeforeRestart], [true, true]);
    // Still enforcing names after the restart.
    assert.equal((await dig("app", "evil.other.test")).status, "REFUSED");
  });
});
