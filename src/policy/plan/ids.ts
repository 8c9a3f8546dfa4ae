import type { Direction, RuleRef } from "../types";

// Decision ids: what the kernel carries (ct mark / meta mark) so a flow collector can name
// the rule that decided. An id is a hash of what it names, not a position, so adding or
// removing an unrelated policy does not renumber the others and older flow records stay
// readable. 31 bits, never 0 (0 means "no policy decision").
//
// The ct mark is shared with services: a service's scheduler rule leaves its pick there, with the
// top bit set (compile/services/slots.ts), and the policy overwrites it only when a rule admits the
// connection. So a mark with that bit is never a decision.

/** The ct mark's top bit: a service slot, not a decision id. */
export const SERVICE_SLOT_MARK = 0x80000000;

/** Whether a mark read back from the kernel names a policy decision. */
export const isDecisionMark = (mark: number | undefined): mark is number => !!mark && (mark & SERVICE_SLOT_MARK) === 0;

export type PolicyIdEntry =
  | { id: number; kind: "allow"; rule: RuleRef }
  /** A Cilium ingressDeny/egressDeny rule that matched. */
  | { id: number; kind: "denyRule"; rule: RuleRef }
  | { id: number; kind: "deny"; direction: Direction; policies: string[] };

export function allowKey(ref: RuleRef): string {
  return `${ref.deny ? "deny-rule" : "allow"} ${ref.direction} ${ref.policy} ${ref.ruleIndex}`;
}

/** The implicit default deny of a workload, named by the sorted policies that isolate it. */
export function denyKey(direction: Direction, policies: readonly string[]): string {
  return `deny ${direction} ${policies.join(",")}`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Assigns ids to keys; collisions (rare) are resolved by rehashing in sorted key order. `hashes`: a memo kept between calls. */
export function allocateIds(keys: Iterable<string>, hashes: Map<string, number> = new Map()): Map<string, number> {
  const sorted = [...new Set(keys)].sort();
  const used = new Set<number>();
  const out = new Map<string, number>();
  const hash = (text: string): number => {
    let h = hashes.get(text);
    if (h === undefined) hashes.set(text, (h = fnv1a(text)));
    return h;
  };
  for (const key of sorted) {
    let id = 0;
    for (let salt = 0; id === 0 || used.has(id); salt++) {
      id = hash(salt === 0 ? key : `${key}#${salt}`) & 0x7fffffff;
    }
    used.add(id);
    out.set(key, id);
  }
  return out;
}
