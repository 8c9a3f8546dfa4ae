// Authoritative answers from one view: exact match, CNAME chasing inside local data, NXDOMAIN vs
// NODATA, and single-label names expanded with the view's search list. Pure: table in, answer out.
import type { LocalZones } from "./local-zones";
import type { RecordTable } from "./record-table";
import { type DnsRecord, type RecordType, normalizeName } from "./records";

export type LocalRcode = "NOERROR" | "NXDOMAIN" | "NOTIMP";

export interface LocalAnswer {
  rcode: LocalRcode;
  /** In wire order; owner names are lowercase (the encoder restores the client's spelling). */
  answers: DnsRecord[];
  /** NXDOMAIN or NODATA: the encoder adds the SOA of `zone` to the authority section. */
  negative: boolean;
  /** Apex of the zone the answer came from ("" when the name is local only because it is in the view). */
  zone: string;
  /** Set when a single-label name was found as `<name>.<one of the search suffixes>`. */
  expandedTo?: string;
  /** The names looked up for this answer: it can change only when one of them does. */
  consulted: string[];
}

const MAX_CNAME_HOPS = 8;
// Zone transfers and obsolete mail meta-queries make no sense against a synthesized zone.
const NOT_IMPLEMENTED = new Set(["AXFR", "IXFR", "MAILA", "MAILB", "UNKNOWN_253", "UNKNOWN_254"]);

/**
 * undefined means "not ours": the caller forwards the query. A single-label name is ours only when
 * the view holds it, as is or under one of `search` (in order): otherwise it goes upstream, as
 * Docker's embedded DNS does, and the client gets the upstream's answer.
 */
export function resolveLocal(
  table: RecordTable,
  zones: LocalZones,
  viewId: string | undefined,
  qname: string,
  qtype: string,
  qclass: string,
  search: readonly string[] = [],
): LocalAnswer | undefined {
  let name = qname;
  const single = name !== "" && !name.includes(".");
  const zone = single ? "" : zones.apexOf(name);
  const consulted = [name];
  let inView = table.exists(viewId, name);
  let expandedTo: string | undefined;
  for (let i = 0; single && !inView && i < search.length; i++) {
    const full = `${name}.${search[i]}`;
    consulted.push(full);
    if (table.exists(viewId, full)) {
      name = expandedTo = full;
      inView = true;
    }
  }
  if ((zone === undefined || single) && !inView) return undefined;
  const soaZone = zone ?? "";
  if ((qclass !== "IN" && qclass !== "ANY") || NOT_IMPLEMENTED.has(qtype)) {
    return { rcode: "NOTIMP", answers: [], negative: false, zone: soaZone, expandedTo, consulted };
  }

  const answers: DnsRecord[] = [];
  // Records found under an expanded name are presented under the name the client asked for.
  const owner = (r: DnsRecord): DnsRecord => (expandedTo !== undefined && r.name === expandedTo ? { ...r, name: qname } : r);
  for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
    const entry = table.lookup(viewId, name);
    const here = zones.apexOf(name) ?? (hop === 0 ? soaZone : undefined);
    if (!entry) {
      if (table.exists(viewId, name)) return { rcode: "NOERROR", answers, negative: true, zone: here ?? soaZone, expandedTo, consulted };
      // A CNAME pointing outside our zones: hand back the alias, the client's resolver chases it.
      if (hop > 0 && here === undefined) return { rcode: "NOERROR", answers, negative: false, zone: soaZone, expandedTo, consulted };
      return { rcode: "NXDOMAIN", answers, negative: true, zone: here ?? soaZone, expandedTo, consulted };
    }
    if (qtype === "ANY") {
      answers.push(...entry.all.map(owner));
      return { rcode: "NOERROR", answers, negative: false, zone: soaZone, expandedTo, consulted };
    }
    const list = entry.byType.get(qtype as RecordType);
    if (list) {
      answers.push(...list.map(owner));
      return { rcode: "NOERROR", answers, negative: false, zone: soaZone, expandedTo, consulted };
    }
    const cname = qtype === "CNAME" ? undefined : entry.byType.get("CNAME")?.[0];
    if (!cname) return { rcode: "NOERROR", answers, negative: true, zone: here ?? soaZone, expandedTo, consulted };
    answers.push(owner(cname));
    name = normalizeName(cname.data as string);
    consulted.push(name);
  }
  return { rcode: "NOERROR", answers, negative: false, zone: soaZone, expandedTo, consulted };
}
