// One incremental transaction (compile/nft-ops) -> one nf_tables netlink batch, when every operation
// is of a kind encoded here (service chains, their rules, elements of plain sets and maps).
// Anything else (set declarations, interval elements, user rules) -> undefined: nft writes it.
import type { NftOp } from "../../compile/nft-ops";
import { batch, NLM_F_APPEND, NLM_F_CREATE, nest, str, type NftMessage } from "./message";
import { elementAttr, setLayout } from "./elements";
import { ruleExpressions } from "./rules";

const NFT_MSG_NEWCHAIN = 3;
const NFT_MSG_DELCHAIN = 5;
const NFT_MSG_NEWRULE = 6;
const NFT_MSG_DELRULE = 8;
const NFT_MSG_NEWSETELEM = 12;
const NFT_MSG_DELSETELEM = 14;

/** Elements per message: NFTA_SET_ELEM_LIST_ELEMENTS is one attribute, at most 64 KiB. */
const ELEMENTS_PER_MESSAGE = 256;

function opMessages(table: string, o: NftOp): NftMessage[] | undefined {
  switch (o.op) {
    case "addChain":
      return [{ type: NFT_MSG_NEWCHAIN, flags: NLM_F_CREATE, attrs: [str(1 /* TABLE */, table), str(3 /* NAME */, o.chain)] }];
    case "deleteChain":
      return [{ type: NFT_MSG_DELCHAIN, flags: 0, attrs: [str(1 /* TABLE */, table), str(3 /* NAME */, o.chain)] }];
    case "flushChain":
      // A rule deletion naming the chain and no handle deletes all its rules.
      return [{ type: NFT_MSG_DELRULE, flags: 0, attrs: [str(1 /* TABLE */, table), str(2 /* CHAIN */, o.chain)] }];
    case "addRule": {
      const exprs = ruleExpressions(o.rule);
      if (!exprs) return undefined;
      return [{ type: NFT_MSG_NEWRULE, flags: NLM_F_CREATE | NLM_F_APPEND, attrs: [str(1 /* TABLE */, table), str(2 /* CHAIN */, o.chain), nest(4 /* EXPRESSIONS */, exprs)] }];
    }
    case "addElements":
    case "deleteElements": {
      const layout = setLayout(o.set);
      if (!layout) return undefined;
      const adding = o.op === "addElements";
      const texts = adding ? o.elements : o.keys;
      const encoded = texts.map((t) => elementAttr(layout, t, !adding));
      if (encoded.some((e) => e === undefined)) return undefined;
      const messages: NftMessage[] = [];
      for (let i = 0; i < encoded.length; i += ELEMENTS_PER_MESSAGE) {
        messages.push({
          type: adding ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
          flags: adding ? NLM_F_CREATE : 0,
          attrs: [str(1 /* TABLE */, table), str(2 /* SET */, o.set.name), nest(3 /* ELEMENTS */, encoded.slice(i, i + ELEMENTS_PER_MESSAGE) as Buffer[])],
        });
      }
      return messages;
    }
    case "addSet":
    case "deleteSet":
    case "addFlowtableDevices":
      return undefined;
  }
}

/** The batch for `ops` on table `inet <table>` (sequence numbers from `firstSeq`), or undefined. */
export function encodeOps(table: string, ops: NftOp[], firstSeq: number): { bytes: Buffer; messages: number } | undefined {
  const messages: NftMessage[] = [];
  for (const o of ops) {
    const m = opMessages(table, o);
    if (!m) return undefined;
    messages.push(...m);
  }
  return { bytes: batch(messages, firstSeq), messages: messages.length };
}
