// The scheduler rules of service chains (compile/services/schedulers.ts: `ct mark set` a counter or
// a hash) -> nf_tables expressions, the same ones nft emits for that text (checked against nft's
// own bytecode in test/integration/healing/nft-netlink.test.ts). Any other rule returns undefined: `nft -f`
// writes it.
import { listElem, nest, str, u32 } from "./message";

// Registers as nft allocates them: 16-byte NFT_REG_1..3, 32-bit NFT_REG32_xx = 8 + index.
const REG_1 = 1;
const REG_2 = 2;
const REG_3 = 3;
const REG32_05 = 13;

const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;

const expr = (name: string, data: Buffer[]) => listElem([str(NFTA_EXPR_NAME, name), nest(NFTA_EXPR_DATA, data)]);

const NFT_CT_MARK = 3;
const payload = (base: "nh" | "th", offset: number, len: number, dreg: number) =>
  expr("payload", [u32(1 /* DREG */, dreg), u32(2 /* BASE */, base === "nh" ? 1 : 2), u32(3 /* OFFSET */, offset), u32(4 /* LEN */, len)]);
const numgen = (type: "inc" | "random", mod: number, offset: number) =>
  expr("numgen", [u32(1 /* DREG */, REG_1), u32(2 /* MODULUS */, mod), u32(3 /* TYPE */, type === "inc" ? 0 : 1), u32(4 /* OFFSET */, offset)]);
const jhash = (sreg: number, len: number, mod: number, seed: number, offset: number) =>
  expr("hash", [u32(1 /* SREG */, sreg), u32(2 /* DREG */, REG_1), u32(3 /* LEN */, len), u32(4 /* MODULUS */, mod), u32(5 /* SEED */, seed), u32(6 /* OFFSET */, offset), u32(7 /* TYPE */, 0 /* jenkins */)]);
const ctMarkSet = (sreg: number) => expr("ct", [u32(2 /* KEY */, NFT_CT_MARK), u32(4 /* SREG */, sreg)]);

const CT_NUMGEN = /^ct mark set numgen (inc|random) mod (\d+) offset (\d+)$/;
const CT_HASH = /^ct mark set jhash @nh,(\d+),(32|128)( \. @th,0,16)? mod (\d+) seed 0x([0-9a-f]+) offset (\d+)$/;

/** NFTA_RULE_EXPRESSIONS children for one rule, or undefined when the form is not one of ours. */
export function ruleExpressions(rule: string): Buffer[] | undefined {
  let m = CT_NUMGEN.exec(rule);
  if (m) return [numgen(m[1] as "inc" | "random", Number(m[2]), Number(m[3])), ctMarkSet(REG_1)];
  m = CT_HASH.exec(rule);
  if (m) {
    const offsetBits = Number(m[1]);
    if (offsetBits % 8 !== 0) return undefined;
    const len = Number(m[2]) / 8;
    const withPort = m[3] !== undefined;
    const loads = [payload("nh", offsetBits / 8, len, REG_2)];
    // The source port follows the address in the next free 32-bit register (nft's concatenation).
    if (withPort) loads.push(payload("th", 0, 2, len === 4 ? REG32_05 : REG_3));
    return [...loads, jhash(REG_2, len + (withPort ? 4 : 0), Number(m[4]), parseInt(m[5]!, 16), Number(m[6])), ctMarkSet(REG_1)];
  }
  return undefined;
}
