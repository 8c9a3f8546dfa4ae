import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicies } from "./compile";
import { parsePolicies } from "../parse";
import { renderPolicyNft, renderPolicyReplace } from "./render";

const world = {
  namespaces: [{ name: "x", labels: {} }],
  workloads: [
    { name: "a", namespace: "x", labels: { pod: "a" }, ips: ["10.0.0.2", "fd00::2"], ports: [{ name: "web", port: 80, protocol: "TCP" as const }] },
    { name: "b", namespace: "x", labels: { pod: "b" }, ips: ["10.0.0.3"], ports: [] },
  ],
};
const policies = parsePolicies(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
    ports: [{port: web}, {protocol: UDP, port: 1000, endPort: 2000}]
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/24]}}]
`);

/** The 64 declarations of one allow map's shards, in the plan's (name) order; `filled`: a shard's element lines. */
function shards(map: string, f: 4 | 6, filled = new Map<string, string[]>()): string[] {
  const names = Array.from({ length: 64 }, (_, i) => `${map}_s${i}`).sort();
  const type = f === 4 ? "ipv4_addr . ipv4_addr . inet_proto . inet_service : mark" : "ipv6_addr . ipv6_addr . inet_proto . inet_service : mark";
  return names.flatMap((n) => [`\tmap ${n} {`, `\t\ttype ${type}`, "\t\tflags interval", ...(filled.get(n) ?? []), "\t}"]);
}

test("renderPolicyNft: declarations in one table block, exact text", () => {
  const plan = compilePolicies(world, policies);
  const id = (i: number) => `0x${plan.ids.find((e) => e.kind === "allow" && e.rule.ruleIndex === i)!.id.toString(16).padStart(8, "0")}`;
  const deny = `0x${plan.ids.find((e) => e.kind === "deny")!.id.toString(16).padStart(8, "0")}`;
  const text = renderPolicyNft(plan, "inet test");
  const expected = [
    "table inet test {",
    // The L7 proxy's sets (l7-compile.ts), empty with no HTTP rule.
    "\tset l7_listen {", "\t\ttype inet_service", "\t}",
    "\tset l7_ports4 {", "\t\ttype ipv4_addr . inet_service", "\t}",
    "\tset l7_ports6 {", "\t\ttype ipv6_addr . inet_service", "\t}",
    "\tmap l7_redirect4 {", "\t\ttype ipv4_addr . inet_service : inet_service", "\t}",
    "\tmap l7_redirect6 {", "\t\ttype ipv6_addr . inet_service : inet_service", "\t}",
    "\tset l7e_ports4 {", "\t\ttype ipv4_addr . inet_service", "\t}",
    "\tset l7e_ports6 {", "\t\ttype ipv6_addr . inet_service", "\t}",
    "\tmap l7e_redirect4 {", "\t\ttype ipv4_addr . inet_service : inet_service", "\t}",
    "\tmap l7e_redirect6 {", "\t\ttype ipv6_addr . inet_service : inet_service", "\t}",
    "\tset pol_drops_v4 {", "\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service . mark", "\t\tflags dynamic, timeout", "\t\ttimeout 120s", "\t\tsize 65535", "\t}",
    "\tset pol_drops_v6 {", "\t\ttype ipv6_addr . ipv6_addr . inet_proto . inet_service . mark", "\t\tflags dynamic, timeout", "\t\ttimeout 120s", "\t\tsize 65535", "\t}",
    ...shards("pol_eg_allow_v4", 4),
    ...shards("pol_eg_allow_v6", 6),
    "\tmap pol_eg_deny_v4 {", "\t\ttype ipv4_addr : mark", "\t}",
    "\tmap pol_eg_deny_v6 {", "\t\ttype ipv6_addr : mark", "\t}",
    // 10.0.0.2's elements are in shard 2 (its address's low 4 bits).
    ...shards("pol_in_allow_v4", 4, new Map([["pol_in_allow_v4_s2", [
      "\t\telements = {",
      `\t\t\t10.0.0.2 . 10.0.0.3 . 6 . 80 : ${id(0)},`,
      `\t\t\t10.0.0.2 . 10.0.0.3 . 17 . 1000-2000 : ${id(0)},`,
      `\t\t\t10.0.0.2 . 10.0.1.0-10.255.255.255 . 0-255 . 0-65535 : ${id(1)}`,
      "\t\t}",
    ]]])),
    ...shards("pol_in_allow_v6", 6),
    "\tmap pol_in_deny_v4 {", "\t\ttype ipv4_addr : mark", "\t\telements = {", `\t\t\t10.0.0.2 : ${deny}`, "\t\t}", "\t}",
    "\tmap pol_in_deny_v6 {", "\t\ttype ipv6_addr : mark", "\t\telements = {", `\t\t\tfd00::2 : ${deny}`, "\t\t}", "\t}",
  ];
  const lines = text.split("\n");
  assert.deepEqual(lines.slice(0, expected.length), expected);
  assert.ok(text.endsWith("\tchain pol_forward {\n\t\tjump pol_egress\n\t\tjump pol_ingress\n\t}\n}\n"));
});

test("renderPolicyReplace: add, flush, refill — one transaction that replaces only pol_ objects", () => {
  const text = renderPolicyReplace(compilePolicies(world, policies));
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "add table inet ponton");
  assert.ok(lines.includes("add map inet ponton pol_in_allow_v4_s2 { type ipv4_addr . ipv4_addr . inet_proto . inet_service : mark; flags interval; }"));
  assert.ok(lines.includes("flush map inet ponton pol_in_allow_v4_s2"));
  // Recent drops are kernel-filled: declared, never flushed by an update.
  assert.ok(lines.includes("add set inet ponton pol_drops_v4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service . mark; flags dynamic, timeout; timeout 120s; size 65535; }"));
  assert.ok(!lines.some((l) => l.startsWith("flush set inet ponton pol_drops")));
  assert.ok(lines.some((l) => l.startsWith("add element inet ponton pol_in_deny_v4 { 10.0.0.2 : 0x")));
  assert.ok(lines.includes("flush chain inet ponton pol_forward"));
  assert.equal(lines[lines.length - 1], "add rule inet ponton pol_forward jump pol_ingress");
  assert.ok(lines.every((l) => /^(add|flush) /.test(l)));
  assert.ok(!lines.some((l) => /flush (table|ruleset)/.test(l)));
});
