import type { NftSet, PolicyPlan } from "./plan";

// Two textual forms of a plan for `nft -f`:
// - renderPolicyNft: declarations inside a `table … { }` block, for a fresh table or tests;
// - renderPolicyReplace: add-then-flush-then-fill commands that replace the policy part of
//   an existing table in ONE transaction, leaving the engine's own objects untouched.

function setBody(s: NftSet, indent: string): string[] {
  const lines = [`${indent}type ${s.type}`];
  if (s.flags && s.flags.length > 0) lines.push(`${indent}flags ${s.flags.join(", ")}`);
  if (s.timeout) lines.push(`${indent}timeout ${s.timeout}`);
  if (s.size) lines.push(`${indent}size ${s.size}`);
  if (s.elements.length > 0) {
    lines.push(`${indent}elements = {`);
    s.elements.forEach((e, i) => lines.push(`${indent}\t${e}${i < s.elements.length - 1 ? "," : ""}`));
    lines.push(`${indent}}`);
  }
  return lines;
}

export function renderPolicyNft(plan: PolicyPlan, table = "inet ponton"): string {
  const out = [`table ${table} {`];
  for (const s of plan.sets) {
    out.push(`\t${s.kind} ${s.name} {`, ...setBody(s, "\t\t"), "\t}");
  }
  for (const c of plan.chains) {
    out.push(`\tchain ${c.name} {`, ...c.rules.map((r) => `\t\t${r}`), "\t}");
  }
  out.push("}");
  return out.join("\n") + "\n";
}

export function renderPolicyReplace(plan: PolicyPlan, table = "inet ponton"): string {
  const out = [`add table ${table}`];
  for (const s of plan.sets) {
    const flags = s.flags && s.flags.length > 0 ? ` flags ${s.flags.join(", ")};` : "";
    const extra = `${s.timeout ? ` timeout ${s.timeout};` : ""}${s.size ? ` size ${s.size};` : ""}`;
    out.push(`add ${s.kind} ${table} ${s.name} { type ${s.type};${flags}${extra} }`);
    // What the kernel filled (recent drops) survives a policy update.
    if (s.flags?.includes("dynamic")) continue;
    out.push(`flush ${s.kind} ${table} ${s.name}`);
    if (s.elements.length > 0) out.push(`add element ${table} ${s.name} { ${s.elements.join(", ")} }`);
  }
  for (const c of plan.chains) out.push(`add chain ${table} ${c.name}`, `flush chain ${table} ${c.name}`);
  for (const c of plan.chains) for (const r of c.rules) out.push(`add rule ${table} ${c.name} ${r}`);
  return out.join("\n") + "\n";
}
