// The L7 chains of the plan: the egress TPROXY rules (a kernel without nft_tproxy still gets a table) and the per-packet hooks only while in use.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DesiredState } from "../model/types";
import { compileNft, DEFAULT_COMPILE_OPTIONS } from "./nft-compile";
import { diffOps, renderFull } from "./nft-render";

const empty: DesiredState = { networks: [], workloads: [], attachments: [], userRules: [], services: [], namespaces: [], policies: [] };

test("with TPROXY (the default): l7_egress_tproxy hands the detour's connections to the listeners, IPv4 and IPv6", () => {
  const text = renderFull(compileNft(empty));
  const chain = /chain l7_egress_tproxy \{\n([^}]*)\n  \}/.exec(text)?.[1] ?? "";
  assert.match(chain, /tproxy ip to : ip saddr \. tcp dport map @\S+ accept/);
  assert.match(chain, /tproxy ip6 to : ip6 saddr \. tcp dport map @\S+ accept/);
  assert.match(chain, /goto drop_l7_bypass$/, "nothing else passes");
});

test("the L7 chains every packet enters (l7_after_dnat, l7_host_after_dnat, l7_input) exist only while an HTTP rule has a listener", () => {
  const idle = compileNft(empty);
  assert.equal(idle.l7InUse, false);
  assert.doesNotMatch(renderFull(idle), /chain (l7_after_dnat|l7_host_after_dnat|l7_input) \{/);
  const busy = { ...idle, l7InUse: true };
  const text = renderFull(busy);
  for (const c of ["l7_after_dnat", "l7_host_after_dnat", "l7_input"]) assert.match(text, new RegExp(`chain ${c} \\{[^}]*type (filter|route) hook`));
  assert.match(text, /iifname "[^"]+" goto l7_egress_tproxy/, "the detour reached from l7_after_dnat");
  // Declaring or dropping them is a reload of the table, never a diff.
  assert.equal(diffOps(idle, busy), undefined);
  assert.equal(diffOps(busy, idle), undefined);
});

test("without TPROXY: no tproxy statement anywhere in the table, the detour's connections are dropped", () => {
  const plan = compileNft(empty, undefined, { ...DEFAULT_COMPILE_OPTIONS, tproxy: false });
  const text = renderFull(plan);
  assert.doesNotMatch(text, /tproxy ip6? to/);
  assert.match(text, /chain l7_egress_tproxy \{\n {4}goto drop_l7_bypass\n  \}/);
  // Turning it on later is a refill of that chain, not a reload.
  const ops = diffOps(plan, compileNft(empty));
  assert.ok(ops && ops.some((o) => o.op === "flushChain" && o.chain === "l7_egress_tproxy"));
});
