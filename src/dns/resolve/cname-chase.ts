// A local CNAME whose target is outside our zones (an ExternalName service): the target is
// resolved upstream and its answers appended, as CoreDNS does, because stub resolvers (glibc) do
// not chase a CNAME themselves.
import * as dnsPacket from "dns-packet";
import type { LocalAnswer } from "./local-resolver";
import type { LocalZones } from "./local-zones";
import { normalizeName } from "./records";
import { type ClientEdns, RCODE, encodeLocal, rcodeOf } from "../wire/wire";

/** The name to resolve upstream, or undefined when the local answer is complete. */
export function externalCnameTarget(local: LocalAnswer, qtype: string, zones: LocalZones): string | undefined {
  if (local.rcode !== "NOERROR" || local.negative || qtype === "CNAME" || qtype === "ANY") return undefined;
  const last = local.answers[local.answers.length - 1];
  if (!last || last.type !== "CNAME") return undefined;
  const target = normalizeName(last.data as string);
  return zones.apexOf(target) === undefined ? target : undefined;
}

/** The local chain followed by the upstream's answers and rcode (SERVFAIL when it gave none). */
export function encodeChased(query: dnsPacket.DecodedPacket, edns: ClientEdns | undefined, local: LocalAnswer, upstream: Buffer | undefined, negativeTtl: number): Buffer {
  const packet = dnsPacket.decode(encodeLocal(query, edns, local, negativeTtl));
  let rcode: number = RCODE.SERVFAIL;
  let extra: dnsPacket.Answer[] = [];
  if (upstream) {
    try {
      const u = dnsPacket.decode(upstream);
      rcode = rcodeOf(u.flags ?? 0);
      extra = u.answers ?? [];
    } catch {
      rcode = RCODE.SERVFAIL;
    }
  }
  return dnsPacket.encode({ ...packet, flags: ((packet.flags ?? 0) & ~0xf) | rcode, answers: [...(packet.answers ?? []), ...extra] });
}
