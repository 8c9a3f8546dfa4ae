// One incremental nftables transaction as a list of operations on our table. The same list is
// rendered as `nft -f` text (renderOps) or encoded as netlink messages (kernel/nft-netlink).
import { NFT_TABLE_REF } from "./names";

/** What an element operation needs to know of its set: the declared (or typeof) key and data types. */
export interface NftSetRef {
  name: string;
  kind: "set" | "map";
  type: string;
  typeof?: boolean;
  flags?: string[];
}

export type NftOp =
  | { op: "addSet"; name: string; decl: string }
  | { op: "deleteSet"; name: string }
  | { op: "addChain"; chain: string }
  | { op: "flushChain"; chain: string }
  | { op: "addRule"; chain: string; rule: string }
  | { op: "deleteChain"; chain: string }
  /** Interfaces hooked into an existing flowtable: `spec` is its hook and the new devices. */
  | { op: "addFlowtableDevices"; flowtable: string; spec: string }
  /** Map elements are `key : value`. */
  | { op: "addElements"; set: NftSetRef; elements: string[] }
  /** Keys only (a map element is deleted by its key). */
  | { op: "deleteElements"; set: NftSetRef; keys: string[] };

function renderOp(o: NftOp): string {
  switch (o.op) {
    case "addSet":
      return `add set ${NFT_TABLE_REF} ${o.name} { ${o.decl} }`;
    case "deleteSet":
      return `delete set ${NFT_TABLE_REF} ${o.name}`;
    case "addChain":
      return `add chain ${NFT_TABLE_REF} ${o.chain}`;
    case "flushChain":
      return `flush chain ${NFT_TABLE_REF} ${o.chain}`;
    case "addRule":
      return `add rule ${NFT_TABLE_REF} ${o.chain} ${o.rule}`;
    case "deleteChain":
      return `delete chain ${NFT_TABLE_REF} ${o.chain}`;
    case "addFlowtableDevices":
      return `add flowtable ${NFT_TABLE_REF} ${o.flowtable} { ${o.spec} }`;
    case "addElements":
      return `add element ${NFT_TABLE_REF} ${o.set.name} { ${o.elements.join(", ")} }`;
    case "deleteElements":
      return `delete element ${NFT_TABLE_REF} ${o.set.name} { ${o.keys.join(", ")} }`;
  }
}

/** `nft -f` text of one transaction ("" when there is nothing to do). */
export function renderOps(ops: NftOp[]): string {
  return ops.length ? ops.map(renderOp).join("\n") + "\n" : "";
}

/** A map element is deleted by its key: the text before ` : `. */
function elementKey(set: NftSetRef, element: string): string {
  return set.kind === "map" ? element.slice(0, element.indexOf(" : ")) : element;
}

/** Element changes of one set: deletions first (a map element replaced by key is deleted, then added). */
export function elementOps(set: NftSetRef, removed: string[], added: string[]): NftOp[] {
  const ops: NftOp[] = [];
  if (removed.length) ops.push({ op: "deleteElements", set, keys: removed.map((e) => elementKey(set, e)) });
  if (added.length) ops.push({ op: "addElements", set, elements: added });
  return ops;
}
