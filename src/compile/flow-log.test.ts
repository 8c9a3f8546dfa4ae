import { test } from "node:test";
import assert from "node:assert/strict";
import { dropChain, flowRecordRules, FLOW_RECORDED_LABEL, logRule, loggedAllowIds, LOG_COUNTER_DECLS, userRuleWithLog } from "./flow-log";
import { compilePolicies, parsePolicies, ruleDecisionId, type PolicyWorld } from "../policy";

test("a dropping or rejecting user rule gets a logging copy before it, counters stripped", () => {
  assert.deepEqual(userRuleWithLog("tcp dport 5678 reject", 3), ['tcp dport 5678 counter name "log_drop_seen" limit rate 1000/second burst 1000 packets counter name "log_drop_logged" log prefix "user-3 " group 2', "tcp dport 5678 reject"]);
  assert.deepEqual(userRuleWithLog("ip saddr 10.0.0.0/8 counter drop", 4)[0], 'ip saddr 10.0.0.0/8 counter name "log_drop_seen" limit rate 1000/second burst 1000 packets counter name "log_drop_logged" log prefix "user-4 " group 2');
  assert.equal(userRuleWithLog("tcp dport 1 reject with tcp reset comment \"no\"", 5).length, 2);
  assert.equal(userRuleWithLog("meta l4proto icmp reject with icmp type admin-prohibited", 6).length, 2);
});

test("accepting or verdict-less user rules are left alone", () => {
  assert.deepEqual(userRuleWithLog("tcp dport 22 accept", 1), ["tcp dport 22 accept"]);
  assert.deepEqual(userRuleWithLog("counter", 1), ["counter"]);
  assert.deepEqual(userRuleWithLog("ip saddr @dropped counter", 1), ["ip saddr @dropped counter"]);
});

test("every rate-limited log statement sits between its kind's two named counters (seen, logged)", () => {
  for (const rule of [...flowRecordRules(true), ...flowRecordRules(false)].filter((r) => !r.startsWith("ct label"))) assert.match(rule, /counter name "log_flow_seen" limit rate 20000\/second burst 20000 packets counter name "log_flow_logged" .*log group 3/);
  assert.match(dropChain("isolation"), /counter name "log_drop_seen" limit rate 1000\/second burst 1000 packets counter name "log_drop_logged" log prefix "net-isolation " group 2\n\s+counter drop/);
  assert.match(logRule("noEndpoint"), /^counter name "log_drop_seen" limit .* counter name "log_drop_logged" log prefix "svc-no-endpoint "/);
  assert.deepEqual(LOG_COUNTER_DECLS, ["  counter log_drop_seen { }", "  counter log_drop_logged { }", "  counter log_flow_seen { }", "  counter log_flow_logged { }"]);
});

test("flow logging off logs only connections whose decision id a policy asked for", () => {
  assert.deepEqual(flowRecordRules(false).length, 3);
  assert.match(flowRecordRules(false)[2]!, /^ct mark @flow_log_ids /);
  assert.equal(flowRecordRules(true).length, 4);
});

test("a connection reaches the log statements once: labelled on its first visit, before the budget", () => {
  for (const on of [true, false]) {
    const rules = flowRecordRules(on);
    assert.deepEqual(rules.slice(0, 2), [`ct label ${FLOW_RECORDED_LABEL} return`, `ct label set ${FLOW_RECORDED_LABEL}`]);
    assert.ok(rules.slice(2).every((r) => r.includes("log_flow_seen")), "every log statement comes after the label");
    // A kernel without conntrack labels: the log rules alone.
    assert.deepEqual(flowRecordRules(on, false), rules.slice(2));
  }
});

test("loggedAllowIds: allowed = every rule of the policy; ingress[N] = that rule", () => {
  const policies = parsePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all-rules, namespace: x, annotations: {ponton.dev/log: allowed}}
spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}, {ports: [{port: 81}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: second-rule, namespace: x, annotations: {ponton.dev/log: "denied, ingress[1]"}}
spec: {podSelector: {}, ingress: [{ports: [{port: 82}]}, {ports: [{port: 83}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: quiet, namespace: x}
spec: {podSelector: {}, ingress: [{ports: [{port: 84}]}]}
`);
  const world: PolicyWorld = { namespaces: [{ name: "x", labels: {} }], workloads: [{ namespace: "x", name: "a", labels: {}, ips: ["10.0.0.2"], ports: [] }] };
  const plan = compilePolicies(world, policies);
  const id = (policy: string, ruleIndex: number) => String(ruleDecisionId(plan, { policy, direction: "ingress", ruleIndex }));
  assert.deepEqual(loggedAllowIds(plan, policies).sort(), [id("x/all-rules", 0), id("x/all-rules", 1), id("x/second-rule", 1)].sort());
  assert.deepEqual(policies[1]!.log, { denied: true, allowed: false, rules: ["ingress[1]"] });
  assert.equal(policies[2]!.log, undefined);
  assert.throws(() => parsePolicies(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, annotations: {ponton.dev/log: "ingress[3]"}}
spec: {podSelector: {}, ingress: [{}]}`), /ponton.dev\/log/);
});
