import { test } from "node:test";
import assert from "node:assert/strict";
import { compileNft } from "./nft-compile";
import { renderDiff, renderFull } from "./nft-render";
import type { DesiredState } from "../model/types";

const empty = (): DesiredState => ({ networks: [], workloads: [], attachments: [], userRules: [] });
const withRule = (): DesiredState => ({ ...empty(), userRules: [{ id: 1, rule: "tcp dport 22 accept" }] });

/** Each chain's rules (comments dropped), by name, and each base chain's hook line. */
function chains(text: string): Map<string, { hook?: string; rules: string[] }> {
  const out = new Map<string, { hook?: string; rules: string[] }>();
  for (const m of text.matchAll(/\n {2}chain (\S+) \{\n([\s\S]*?)\n {2}\}/g)) {
    const lines = m[2]!.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const hook = lines[0]?.startsWith("type ") ? lines.shift() : undefined;
    out.set(m[1]!, { ...(hook ? { hook } : {}), rules: lines });
  }
  return out;
}

test("a forwarded packet enters one filter chain of ours (forward); the new connection's checks are in a nat chain", () => {
  const c = chains(renderFull(compileNft(empty())));
  const filterOn = (hook: string) => [...c].filter(([, v]) => v.hook?.startsWith(`type filter hook ${hook} `)).map(([k]) => k);
  assert.deepEqual(filterOn("prerouting"), []);
  assert.deepEqual(filterOn("forward"), ["forward"]);
  assert.deepEqual(filterOn("postrouting"), []);
  assert.equal(c.has("filter_prerouting"), false);
  assert.match(c.get("prerouting_new")!.hook!, /^type nat hook prerouting priority dstnat - 10;/);
  assert.equal(c.get("prerouting_new")!.rules[0], "ct state != new return");
});

test("forward's accepts, but the established one and the overlay's NodePort ones (no interface of ours), go through the flow record", () => {
  const c = chains(renderFull(compileNft(empty())));
  for (const name of ["same_network", "from_network", "between_networks", "to_network"]) {
    assert.deepEqual(c.get(name)!.rules.filter((r) => / accept$/.test(r)), [], name);
  }
  const fwd = c.get("forward")!.rules;
  assert.deepEqual(
    fwd.filter((r) => / accept$/.test(r)),
    ["ct state established,related accept", ...fwd.filter((r) => r.startsWith("iifname != @bridges oifname @overlay_ifs ct status dnat"))],
  );
  assert.equal(fwd.filter((r) => r.startsWith("iifname != @bridges oifname @overlay_ifs")).length, 2);
  assert.deepEqual(c.get("accepted")!.rules, ["ct state new jump flow_record", "accept"]);
  // What the chain's policy accepts: recorded last, as flow_log did.
  assert.deepEqual(fwd.slice(-2), ["ct state new iifname @bridges jump flow_record", "ct state new oifname @bridges iifname != @bridges jump flow_record"]);
  assert.equal(c.has("flow_log"), false);
  assert.ok(c.has("flow_log_host_in") && c.has("flow_log_host_out"));
});

test("while the user hook holds a rule (its accept ends forward), flow_log after forward writes the records, and only it", () => {
  const c = chains(renderFull(compileNft(withRule())));
  assert.match(c.get("flow_log")!.hook!, /^type filter hook forward priority filter \+ 10;/);
  assert.deepEqual(c.get("flow_log")!.rules, ["ct state new iifname @bridges jump flow_record", "ct state new oifname @bridges iifname != @bridges jump flow_record"]);
  assert.deepEqual(c.get("accepted")!.rules, ["accept"]);
  assert.equal(c.get("forward")!.rules.some((r) => r.includes("jump flow_record")), false);
  // The first rule and the last: a reload (the layout changes), not a diff of the user chain.
  assert.equal(renderDiff(compileNft(empty()), compileNft(withRule())), undefined);
  assert.equal(renderDiff(compileNft(withRule()), compileNft(empty())), undefined);
});

test("the forged-127/8 drop: first in forward (before the user hook) and in input, told from a de-NATed reply by its address before NAT", () => {
  const c = chains(renderFull(compileNft(withRule())));
  const fwd = c.get("forward")!.rules;
  assert.equal(fwd[0], "ct original ip daddr 127.0.0.0/8 ct direction original iifname @bridges goto drop_forged_localhost");
  assert.ok(fwd.indexOf("jump user") > 0);
  assert.equal(c.get("input")!.rules[0], "ip daddr 127.0.0.0/8 iifname @bridges jump check_localhost");
  assert.deepEqual(c.get("check_localhost")!.rules, [
    "ct direction original ct original ip daddr != 127.0.0.0/8 return",
    "ct direction reply ct reply ip daddr != 127.0.0.0/8 return",
    "goto drop_forged_localhost",
  ]);
});
