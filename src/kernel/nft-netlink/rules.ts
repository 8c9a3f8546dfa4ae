// The service chains' rule forms (compile/services/schedulers.ts) -> nf_tables expressions, the
// same ones nft emits for that text (checked against nft's own bytecode in
// test/integration/nft-netlink.test.ts). Any other rule returns undefined: `nft -f` writes it.
import { addressBytes, portBytes, PROTOCOLS } from "./elements";
import { attr, nest, str, u32 } from "./message";

// Registers as nft allocates them: 16-byte NFT_REG_1..3, 32-bit NFT_REG32_xx = 8 + index.
const REG_1 = 1;
const REG_2 = 2;
const REG_3 = 3;
const REG32_01 = 9;
const REG32_05 = 13;

const NFTA_LIST_ELEM = 1;
const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;
const NFTA_DATA_VALUE = 1;

const expr = (name: string, data: Buffer[]) => nest(NFTA_LIST_ELEM, [str(NFTA_EXPR_NAME, name), nest(NFTA_EXPR_DATA, data)]);

const META_NFPROTO = 15;
const META_L4PROTO = 16;
const meta = (key: number, dreg: number) => expr("meta", [u32(2 /* KEY */, key), u32(1 /* DREG */, dreg)]);
const cmpEq = (sreg: number, data: Buffer) => expr("cmp", [u32(1 /* SREG */, sreg), u32(2 /* OP */, 0 /* EQ */), nest(3 /* DATA */, [attr(NFTA_DATA_VALUE, data)])]);
const payload = (base: "network" | "transport", offset: number, len: number, dreg: number) =>
  expr("payload", [u32(1 /* DREG */, dreg), u32(2 /* BASE */, base === "network" ? 1 : 2), u32(3 /* OFFSET */, offset), u32(4 /* LEN */, len)]);
const immediate = (dreg: number, data: Buffer) => expr("immediate", [u32(1 /* DREG */, dreg), nest(2 /* DATA */, [attr(NFTA_DATA_VALUE, data)])]);
const lookup = (set: string, sreg: number, dreg: number) => expr("lookup", [str(1 /* SET */, set), u32(2 /* SREG */, sreg), u32(3 /* DREG */, dreg)]);
const numgen = (type: "inc" | "random", mod: number, offset: number) =>
  expr("numgen", [u32(1 /* DREG */, REG_1), u32(2 /* MODULUS */, mod), u32(3 /* TYPE */, type === "inc" ? 0 : 1), u32(4 /* OFFSET */, offset)]);
const jhash = (sreg: number, len: number, mod: number, seed: number, offset: number) =>
  expr("hash", [u32(1 /* SREG */, sreg), u32(2 /* DREG */, REG_1), u32(3 /* LEN */, len), u32(4 /* MODULUS */, mod), u32(5 /* SEED */, seed), u32(6 /* OFFSET */, offset), u32(7 /* TYPE */, 0 /* jenkins */)]);
const dnat = (family: "ip" | "ip6", protoReg: number, flags?: number) =>
  expr("nat", [
    u32(1 /* TYPE */, 1 /* DNAT */),
    u32(2 /* FAMILY */, family === "ip" ? 2 : 10),
    u32(3 /* REG_ADDR_MIN */, REG_1),
    u32(5 /* REG_PROTO_MIN */, protoReg),
    ...(flags === undefined ? [] : [u32(7 /* FLAGS */, flags)]),
  ]);

const NF_NAT_RANGE_PROTO_SPECIFIED = 2;

/** Where `ip saddr` / `ip6 daddr` sit in the network header, and their length. */
const addrField = (family: "ip" | "ip6", dir: string) => (family === "ip" ? { offset: dir === "saddr" ? 12 : 16, len: 4 } : { offset: dir === "saddr" ? 8 : 24, len: 16 });

/** A map lookup's data (`ip daddr . tcp dport`) lands in NFT_REG_1 on: the port follows the address. */
const mapProtoReg = (family: "ip" | "ip6") => (family === "ip" ? REG32_01 : REG_2);

const SINGLE = /^meta l4proto (tcp|udp) dnat (ip|ip6) to (?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)$/;
const NUMGEN = /^meta l4proto (tcp|udp) dnat (ip|ip6) to numgen (inc|random) mod (\d+) offset (\d+) map @([A-Za-z0-9_]+)$/;
const HASH = /^meta l4proto (tcp|udp) dnat (ip|ip6) to jhash (ip|ip6) (saddr|daddr)( \. th sport)? mod (\d+) seed 0x([0-9a-f]+) offset (\d+) map @([A-Za-z0-9_]+)$/;

/** NFTA_RULE_EXPRESSIONS children for one rule, or undefined when the form is not one of ours. */
export function ruleExpressions(rule: string): Buffer[] | undefined {
  const l4 = (proto: string) => [meta(META_L4PROTO, REG_1), cmpEq(REG_1, Buffer.from([PROTOCOLS[proto]!]))];
  let m = SINGLE.exec(rule);
  if (m) {
    const family = m[2] as "ip" | "ip6";
    const addr = addressBytes(family, m[3] ?? m[4]!);
    const p = portBytes(m[5]!);
    if (!addr || !p) return undefined;
    return [...l4(m[1]!), immediate(REG_1, addr), immediate(REG_2, p), dnat(family, REG_2, NF_NAT_RANGE_PROTO_SPECIFIED)];
  }
  m = NUMGEN.exec(rule);
  if (m) {
    const family = m[2] as "ip" | "ip6";
    return [...l4(m[1]!), numgen(m[3] as "inc" | "random", Number(m[4]), Number(m[5])), lookup(m[6]!, REG_1, REG_1), dnat(family, mapProtoReg(family))];
  }
  m = HASH.exec(rule);
  if (m) {
    const family = m[2] as "ip" | "ip6";
    const hashed = m[3] as "ip" | "ip6";
    if (hashed !== family) return undefined;
    const field = addrField(hashed, m[4]!);
    const withPort = m[5] !== undefined;
    const loads = [payload("network", field.offset, field.len, REG_2)];
    // The source port follows the address in the next free 32-bit register (nft's concatenation).
    if (withPort) loads.push(payload("transport", 0, 2, hashed === "ip" ? REG32_05 : REG_3));
    const len = field.len + (withPort ? 4 : 0);
    return [
      ...l4(m[1]!),
      meta(META_NFPROTO, REG_1),
      cmpEq(REG_1, Buffer.from([hashed === "ip" ? 2 : 10])),
      ...loads,
      jhash(REG_2, len, Number(m[6]), parseInt(m[7]!, 16), Number(m[8])),
      lookup(m[9]!, REG_1, REG_1),
      dnat(family, mapProtoReg(family)),
    ];
  }
  return undefined;
}
