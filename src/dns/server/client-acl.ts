// Who a listener answers: the subnets of the networks it serves, so the host is never an open
// resolver for whatever can route to a gateway address. The native listener threads apply the
// same prefixes (native/dns-fastpath/src/client-prefixes.cc).
import { BlockList, isIP } from "node:net";

export type ClientAcl = (address: string) => boolean;

/** undefined: every client (tests, a loopback-only server); otherwise only these prefixes. */
export function clientAcl(prefixes: readonly string[] | undefined): ClientAcl {
  if (prefixes === undefined) return () => true;
  const list = new BlockList();
  for (const p of prefixes) {
    const [address, bits] = p.split("/");
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const len = bits === undefined ? max : Number(bits);
    if (!family || !Number.isInteger(len) || len < 0 || len > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new Error(`dns client prefix ${p}: expected ADDRESS/BITS`);
    }
    list.addSubnet(address, len, family === 4 ? "ipv4" : "ipv6");
  }
  return (address) => {
    const bare = address.split("%")[0];
    const family = isIP(bare);
    if (family === 0) return false;
    const mapped = family === 6 && bare.toLowerCase().startsWith("::ffff:") && isIP(bare.slice(7)) === 4;
    return mapped ? list.check(bare.slice(7), "ipv4") : list.check(bare, family === 4 ? "ipv4" : "ipv6");
  };
}
