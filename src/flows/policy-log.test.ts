import { test } from "node:test";
import assert from "node:assert/strict";
import type { PolicyLog } from "../policy";
import { policiesLogging } from "./policy-log";
import type { FlowRecord } from "./record";

const base = { seq: 1, time: "", ipVersion: 4 as const, protocol: "tcp", source: { ip: "10.0.0.1" }, destination: { ip: "10.0.0.2" }, interfaces: {}, summary: "" };
const allowed = (policy: string, ruleIndex: number): FlowRecord => ({ ...base, verdict: "FORWARDED", policies: [policy], rule: { policy, direction: "ingress", ruleIndex } });
const denied = (policies: string[]): FlowRecord => ({ ...base, verdict: "DROPPED", dropReason: "POLICY_DENIED", policies });
const settings = new Map<string, PolicyLog | undefined>([
  ["x/default", undefined],
  ["x/quiet", { denied: false, allowed: false, rules: [] }],
  ["x/all", { denied: true, allowed: true, rules: [] }],
  ["x/one-rule", { denied: false, allowed: false, rules: ["ingress[1]"] }],
]);

test("denied traffic is logged by default, and not for a policy that says none", () => {
  assert.deepEqual(policiesLogging(denied(["x/default", "x/quiet", "x/all"]), settings), ["x/default", "x/all"]);
  assert.deepEqual(policiesLogging(denied(["x/gone"]), settings), []);
  assert.deepEqual(policiesLogging({ ...denied([]), dropReason: "NETWORK_ISOLATION" }, settings), []);
});

test("allowed traffic only when the policy (or that rule) asks", () => {
  assert.deepEqual(policiesLogging(allowed("x/default", 0), settings), []);
  assert.deepEqual(policiesLogging(allowed("x/all", 3), settings), ["x/all"]);
  assert.deepEqual(policiesLogging(allowed("x/one-rule", 1), settings), ["x/one-rule"]);
  assert.deepEqual(policiesLogging(allowed("x/one-rule", 0), settings), []);
});
