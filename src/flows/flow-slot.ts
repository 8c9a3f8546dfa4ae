// The hot path of flow logging, split in two so the first half allocates nothing:
// when a packet is logged, what the daemon knows is looked up (endpoints, services, the decision,
// interface names: shared objects, cached per directory) and kept with the packet's first bytes
// in a reusable slot; the record itself is only built when someone reads it (decodePacket then).
import { formatIp } from "../model/ip";
import { decide, type Decision } from "./decision";
import { FLOW_LOG_GROUP } from "../compile/flow-log";
import { decodePacket, PROTOCOL_NAMES } from "./packet";
import type { FlowDirectory, FlowEndpoint, FlowRecord } from "./record";

/** Bytes of a packet kept per record: what NFLOG copies (ponton-nflog's COPY_RANGE). */
export const SLOT_BYTES = 128;

/** Builds a record from its raw form; one builder is shared by many lines (what was known when they came). */
export interface RawBuilder {
  record(line: string, seq: number): FlowRecord;
}

/** One ring position, reused for every record that lands there. */
export class FlowSlot {
  seq = 0;
  /** A record made elsewhere (DNS, the journal), kept as it is. */
  full: FlowRecord | undefined = undefined;
  /** A record kept as the line it came as (an L7 request), built by `builder` when read. */
  line: string | undefined = undefined;
  builder: RawBuilder | undefined = undefined;
  readonly bytes = Buffer.alloc(SLOT_BYTES);
  length = 0;
  time = 0;
  /** What the directory knew of each end when the packet was logged. */
  src: FlowEndpoint | undefined = undefined;
  dst: FlowEndpoint | undefined = undefined;
  srcService: string | undefined = undefined;
  dstService: string | undefined = undefined;
  srcHost = false;
  dstHost = false;
  decision: Decision = { verdict: "FORWARDED", summary: "", policies: [] };
  in: string | undefined = undefined;
  out: string | undefined = undefined;
}

/** What the directory says of one address, cached by the packet's bytes. */
interface AddressInfo {
  endpoint: FlowEndpoint | undefined;
  service: string | undefined;
}

/**
 * A directory's lookups keyed the way packet bytes are read (IPv4 as a number), filled on first
 * sight of each address (the directory is rebuilt often: nothing is computed for addresses that
 * send nothing), with the decisions and interface names cached too.
 */
export class FlowIndex {
  private readonly v4 = new Map<number, AddressInfo>();
  private readonly v6 = new Map<string, AddressInfo>();
  private readonly decisions = new Map<number, Map<string, Map<number, Decision>>>();
  private readonly names = new Map<string, string>();

  constructor(readonly dir: FlowDirectory) {}

  private info(ip: string): AddressInfo {
    return { endpoint: this.dir.byIp.get(ip), service: this.dir.vips.get(ip) };
  }

  /** What is known of the address at `bytes[at, at + 4 or 16)`. */
  lookup(bytes: Buffer, at: number, version: number): AddressInfo {
    if (version === 4) {
      const k = bytes.readUInt32BE(at);
      let i = this.v4.get(k);
      if (!i) this.v4.set(k, (i = this.info(`${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`)));
      return i;
    }
    const k = bytes.toString("hex", at, at + 16);
    let i = this.v6.get(k);
    if (!i) this.v6.set(k, (i = this.info(formatIp(6, BigInt(`0x${k}`)))));
    return i;
  }

  decision(group: number, prefix: string, mark: number): Decision {
    let byPrefix = this.decisions.get(group);
    if (!byPrefix) this.decisions.set(group, (byPrefix = new Map()));
    let byMark = byPrefix.get(prefix);
    if (!byMark) byPrefix.set(prefix, (byMark = new Map()));
    let d = byMark.get(mark);
    if (!d) byMark.set(mark, (d = decide(group, prefix, mark, this.dir)));
    return d;
  }

  /** A bridge is shown with its network's name. */
  interfaceName(ifname: string): string {
    let n = this.names.get(ifname);
    if (n === undefined) {
      const network = this.dir.bridges.get(ifname);
      this.names.set(ifname, (n = network !== undefined ? `${ifname} (${network})` : ifname));
    }
    return n;
  }
}

/** The IP version when the bytes hold a header decodePacket can read, else 0. */
export function readableVersion(bytes: Buffer, at: number, length: number): number {
  const v = length > 0 ? bytes[at]! >> 4 : 0;
  return (v === 4 && length >= 20) || (v === 6 && length >= 40) ? v : 0;
}

/** Fills a slot for a logged packet (the bytes must be readable: see readableVersion). */
export function fillSlot(slot: FlowSlot, index: FlowIndex, bytes: Buffer, at: number, length: number, version: number, group: number, inIf: string | undefined, outIf: string | undefined, prefix: string | undefined, mark: number, time: number): void {
  const n = Math.min(length, SLOT_BYTES);
  bytes.copy(slot.bytes, 0, at, at + n);
  slot.full = undefined;
  slot.line = undefined;
  slot.builder = undefined;
  slot.length = n;
  slot.time = time;
  const src = index.lookup(bytes, at + (version === 4 ? 12 : 8), version);
  const dst = index.lookup(bytes, at + (version === 4 ? 16 : 24), version);
  slot.src = src.endpoint;
  slot.srcService = src.service;
  slot.dst = dst.endpoint;
  slot.dstService = dst.service;
  // A new connection logged with no input interface left this host (output hook); with no output
  // interface it was addressed to this host (input hook). Forwarded ones have both.
  slot.srcHost = group === FLOW_LOG_GROUP && !inIf && !slot.src;
  slot.dstHost = group === FLOW_LOG_GROUP && !outIf && !slot.dst;
  slot.decision = index.decision(group, prefix ?? "", mark);
  slot.in = inIf ? index.interfaceName(inIf) : undefined;
  slot.out = outIf ? index.interfaceName(outIf) : undefined;
}

function endpoint(known: FlowEndpoint | undefined, ip: string, port: number | undefined, service: string | undefined, host: boolean): FlowEndpoint {
  return { ...(known ?? { ip }), ...(port !== undefined ? { port } : {}), ...(service ? { service } : {}), ...(host ? { host: true as const } : {}) };
}

/** The record a slot holds. */
export function recordOf(slot: FlowSlot): FlowRecord {
  if (slot.full) return slot.full;
  if (slot.line !== undefined) return slot.builder!.record(slot.line, slot.seq);
  const h = decodePacket(slot.bytes.subarray(0, slot.length))!;
  return {
    seq: slot.seq,
    time: new Date(slot.time * 1000).toISOString(),
    ipVersion: h.ipVersion,
    protocol: PROTOCOL_NAMES[h.protocol] ?? String(h.protocol),
    source: endpoint(slot.src, h.src, h.sport, slot.srcService, slot.srcHost),
    destination: endpoint(slot.dst, h.dst, h.dport, slot.dstService, slot.dstHost),
    ...(h.tcpFlags ? { tcpFlags: h.tcpFlags } : {}),
    ...(h.icmp ? { icmp: h.icmp } : {}),
    interfaces: { ...(slot.in ? { in: slot.in } : {}), ...(slot.out ? { out: slot.out } : {}) },
    ...slot.decision,
  };
}
