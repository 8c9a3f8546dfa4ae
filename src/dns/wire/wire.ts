// Wire-format helpers on top of dns-packet: flag bits, EDNS, and the responses we build
// ourselves (local answers, errors, truncation). All encoding goes through dns-packet.
import * as dnsPacket from "dns-packet";
import type { LocalAnswer } from "../resolve/local-resolver";
import type { DnsRecord } from "../resolve/records";

export const QR = 1 << 15;
export const AA = dnsPacket.AUTHORITATIVE_ANSWER;
export const TC = dnsPacket.TRUNCATED_RESPONSE;
export const RD = dnsPacket.RECURSION_DESIRED;
export const RA = dnsPacket.RECURSION_AVAILABLE;
export const CD = dnsPacket.CHECKING_DISABLED;
export const DO = dnsPacket.DNSSEC_OK;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeName = keyof typeof RCODE;

/** The payload size we advertise and forward with (the DNS flag day 2020 value: no IP fragmentation). */
export const OUR_UDP_PAYLOAD = 1232;
/** Plain DNS over UDP without EDNS. */
export const CLASSIC_UDP_LIMIT = 512;

// dns-packet exports its name codec at runtime; the typings omit it.
const nameCodec = (dnsPacket as unknown as { name: { decode: ((buf: Buffer, offset: number) => string) & { bytes: number } } }).name;

/** Wire length of the (first) question's name starting at offset 12, via dns-packet's decoder. */
export function questionNameLength(msg: Buffer): number {
  nameCodec.decode(msg, 12);
  return nameCodec.decode.bytes;
}

export function rcodeOf(flags: number): number {
  return flags & 0xf;
}

export function opcodeOf(flags: number): number {
  return (flags >> 11) & 0xf;
}

/**
 * What the header alone says about a query (QR already 0): NOTIMP for an opcode other than
 * QUERY; FORMERR unless it holds exactly one question, no answer or authority records and at
 * most one additional (the OPT); undefined when it is worth decoding. Mirrored by screen() in
 * native/dns-fastpath/src/udp-loop.cc.
 */
export function headerError(msg: Buffer): number | undefined {
  if (opcodeOf(msg.readUInt16BE(2)) !== 0) return RCODE.NOTIMP;
  if (msg.readUInt16BE(4) !== 1 || msg.readUInt16BE(6) !== 0 || msg.readUInt16BE(8) !== 0 || msg.readUInt16BE(10) > 1) return RCODE.FORMERR;
  return undefined;
}

export function rcodeName(code: number): string {
  const hit = (Object.keys(RCODE) as RcodeName[]).find((k) => RCODE[k] === code);
  return hit ?? `RCODE_${code}`;
}

export interface ClientEdns {
  udpPayloadSize: number;
  version: number;
  flags: number;
  options: dnsPacket.PacketOpt[];
}

/** The client's OPT record, undefined when it sent none; throws on more than one (FORMERR). */
export function ednsOf(packet: dnsPacket.DecodedPacket): ClientEdns | undefined {
  let found: ClientEdns | undefined;
  for (const a of packet.additionals ?? []) {
    if (a.type !== "OPT") continue;
    if (found) throw new Error("more than one OPT record");
    found = { udpPayloadSize: a.udpPayloadSize, version: a.ednsVersion, flags: a.flags, options: a.options ?? [] };
  }
  return found;
}

/** Largest UDP response this client accepts. */
export function udpLimit(edns: ClientEdns | undefined): number {
  if (!edns) return CLASSIC_UDP_LIMIT;
  return Math.max(CLASSIC_UDP_LIMIT, Math.min(edns.udpPayloadSize, 65535));
}

/** Our OPT for a response: echo the DO bit (RFC 3225), no options. */
export function responseOpt(edns: ClientEdns, extendedRcode = 0): dnsPacket.Answer {
  return { type: "OPT", name: ".", udpPayloadSize: OUR_UDP_PAYLOAD, extendedRcode, ednsVersion: 0, flags: edns.flags & DO, flag_do: (edns.flags & DO) !== 0, options: [] };
}

export function toWireRecord(r: DnsRecord, owner: string): dnsPacket.Answer {
  switch (r.type) {
    case "SRV": {
      const d = r.data as { priority: number; weight: number; port: number; target: string };
      return { type: "SRV", name: owner, ttl: r.ttl, data: { priority: d.priority, weight: d.weight, port: d.port, target: d.target } };
    }
    case "TXT":
      return { type: "TXT", name: owner, ttl: r.ttl, data: chunk255(r.data as string) };
    default:
      return { type: r.type, name: owner, ttl: r.ttl, data: r.data as string };
  }
}

/** TXT character-strings hold at most 255 bytes each. */
function chunk255(s: string): Buffer[] {
  const b = Buffer.from(s);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  return out.length ? out : [Buffer.alloc(0)];
}

export function soaRecord(zone: string, negativeTtl: number): dnsPacket.Answer {
  const base = zone === "" ? "ponton.local" : zone;
  return {
    type: "SOA",
    name: zone === "" ? "." : zone,
    ttl: negativeTtl,
    data: { mname: `ns.${base}`, rname: `hostmaster.${base}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: negativeTtl },
  };
}

/** Encodes a local answer for this query. Owner names equal to the question keep the client's spelling (0x20). */
export function encodeLocal(query: dnsPacket.DecodedPacket, edns: ClientEdns | undefined, ans: LocalAnswer, negativeTtl: number): Buffer {
  const q = query.questions![0];
  const lower = q.name.toLowerCase();
  const packet: dnsPacket.Packet = {
    type: "response",
    id: query.id,
    flags: AA | RA | (query.flags! & (RD | CD)) | RCODE[ans.rcode],
    questions: [q],
    answers: ans.answers.map((r) => toWireRecord(r, r.name === lower ? q.name : r.name)),
    authorities: ans.negative ? [soaRecord(ans.zone, negativeTtl)] : [],
    additionals: edns ? [responseOpt(edns)] : [],
  };
  // A DNS message cannot exceed 64 KiB (TCP length field): keep the records that fit.
  const len = dnsPacket.encodingLength(packet);
  if (len > MAX_MESSAGE) packet.answers = packet.answers!.slice(0, Math.floor((packet.answers!.length * MAX_MESSAGE) / len) - 1);
  return dnsPacket.encode(packet);
}

const MAX_MESSAGE = 0xffff;

/** Header-only (plus question when known) reply: FORMERR, NOTIMP, SERVFAIL, REFUSED, or a TC=1 stub. */
export function errorResponse(
  id: number,
  queryFlags: number,
  rcode: number,
  question?: dnsPacket.Question,
  edns?: ClientEdns,
  extraFlags = 0,
): Buffer {
  return dnsPacket.encode({
    type: "response",
    id,
    flags: (queryFlags & (0xf << 11)) | (queryFlags & (RD | CD)) | RA | extraFlags | (rcode & 0xf),
    questions: question ? [question] : [],
    additionals: edns ? [responseOpt(edns, rcode >> 4)] : [],
  });
}
