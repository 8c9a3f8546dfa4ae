// Pure: which policies' `ponton.dev/log` asks for a flow record to be written to the policy log.
import type { PolicyLog } from "../policy";
import type { FlowRecord } from "./record";

/** Policies (by "ns/name") whose log settings select this record; absent settings log denied traffic. */
export function policiesLogging(r: Pick<FlowRecord, "verdict" | "rule" | "dropReason" | "policies">, settings: ReadonlyMap<string, PolicyLog | undefined>): string[] {
  if (r.verdict === "FORWARDED") {
    const rule = r.rule;
    if (!rule || !settings.has(rule.policy)) return [];
    const log = settings.get(rule.policy);
    return log && (log.allowed || log.rules.includes(`${rule.direction}[${rule.ruleIndex}]`)) ? [rule.policy] : [];
  }
  if (r.dropReason !== "POLICY_DENIED") return [];
  return r.policies.filter((p) => settings.has(p) && (settings.get(p)?.denied ?? true));
}
