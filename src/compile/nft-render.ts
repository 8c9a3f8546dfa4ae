// NftPlan -> `nft -f` text: a full atomic replace of our table, or an incremental element diff.
import { NFT_TABLE_REF } from "./names";
import { SET_DECLS, SKELETON_CHAINS, USER_CHAIN, type NftPlan, type NftSet } from "./nft-plan";

function renderSetDecl(s: NftSet): string {
  const flags = s.flags?.length ? ` flags ${s.flags.join(", ")};` : "";
  const elements = s.elements.length ? ` elements = { ${s.elements.join(", ")} }` : "";
  return `  ${s.kind} ${s.name} { type ${s.type};${flags}${elements} }`;
}

function renderUserChain(rules: string[]): string {
  return [`  chain ${USER_CHAIN} {`, ...rules.map((r) => `    ${r}`), "  }"].join("\n");
}

/** One transaction that (re)creates the whole table: `add` + `delete` makes it work whether or not it exists. */
export function renderFull(plan: NftPlan): string {
  return [
    `add table ${NFT_TABLE_REF}`,
    `delete table ${NFT_TABLE_REF}`,
    `table ${NFT_TABLE_REF} {`,
    ...plan.sets.map(renderSetDecl),
    renderUserChain(plan.userRules),
    SKELETON_CHAINS,
    "}",
    "",
  ].join("\n");
}

function sameSkeleton(a: NftPlan, b: NftPlan): boolean {
  return a.sets.length === b.sets.length && a.sets.every((s, i) => s.name === b.sets[i]!.name && s.type === b.sets[i]!.type);
}

/** Map elements are replaced by key: delete the old `key : value`, add the new one. */
function elementKey(set: NftSet, element: string): string {
  return set.kind === "map" ? element.slice(0, element.indexOf(" : ")) : element;
}

/**
 * The smallest transaction turning `from` into `to`, or undefined when only a full reload can
 * (skeleton changed). Returns "" when nothing changed.
 */
export function renderDiff(from: NftPlan, to: NftPlan): string | undefined {
  if (!sameSkeleton(from, to)) return undefined;
  const lines: string[] = [];
  to.sets.forEach((next, i) => {
    const prev = from.sets[i]!;
    const before = new Set(prev.elements);
    const after = new Set(next.elements);
    const removed = prev.elements.filter((e) => !after.has(e));
    const added = next.elements.filter((e) => !before.has(e));
    if (removed.length) lines.push(`delete element ${NFT_TABLE_REF} ${next.name} { ${removed.map((e) => elementKey(next, e)).join(", ")} }`);
    if (added.length) lines.push(`add element ${NFT_TABLE_REF} ${next.name} { ${added.join(", ")} }`);
  });
  if (from.userRules.join("\n") !== to.userRules.join("\n")) {
    lines.push(`flush chain ${NFT_TABLE_REF} ${USER_CHAIN}`);
    for (const r of to.userRules) lines.push(`add rule ${NFT_TABLE_REF} ${USER_CHAIN} ${r}`);
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

export const EMPTY_PLAN: NftPlan = { sets: SET_DECLS.map((d) => ({ ...d, elements: [] })), userRules: [] };
