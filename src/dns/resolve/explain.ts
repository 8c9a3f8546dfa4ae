// `ponton dns query NAME --from WORKLOAD`: what the server would do with a query, without
// sending anything: which view, which records, or where it would be forwarded.
import { Forwarder } from "../upstream/forwarder";
import { type LocalAnswer, resolveLocal } from "./local-resolver";
import type { LocalZones } from "./local-zones";
import type { RecordTable } from "./record-table";
import { type DnsRecord, normalizeName } from "./records";
import { rcodeName } from "../wire/wire";

export interface ExplainResult {
  name: string;
  type: string;
  client: string;
  /** The client's view, null when the address belongs to no network. */
  view: string | null;
  /** refused: the client's network is sealed (--internal) and the name is not local. */
  outcome: "local" | "forward" | "refused";
  /** For local answers the rcode sent; for forwarded ones the cached rcode, if any. */
  rcode?: string;
  /** Local records answered, in order (CNAME chain first). */
  records: DnsRecord[];
  /** Local zone apex ("" for a single-label name). */
  zone?: string;
  /** A single-label name found as NAME.<a search suffix>. */
  expandedTo?: string;
  /** Servers a forwarded query would go to, in order; down ones are left out. */
  upstreams?: string[];
  cached?: { rcode: string; ttlRemaining: number };
  summary: string;
}

export interface ExplainContext {
  table: RecordTable;
  zones: LocalZones;
  /** Where a single-label name is looked for in a view. */
  search: (view: string | undefined) => readonly string[];
  viewOf: (client: string) => string | undefined;
  /** The forwarder of a view (its network's own upstreams, or the server's). */
  forwarder: (view: string | undefined) => Forwarder;
}

/** `sealed`: the client asks a sealed listener (its network is --internal): nothing is forwarded. */
export function explainQuery(ctx: ExplainContext, name: string, type: string, client: string, sealed = false): ExplainResult {
  const qname = normalizeName(name);
  const qtype = type.toUpperCase();
  const view = ctx.viewOf(client);
  const base = { name: qname, type: qtype, client, view: view ?? null };
  const local = resolveLocal(ctx.table, ctx.zones, view, qname, qtype, "IN", ctx.search(view));
  if (local) return { ...base, outcome: "local", rcode: local.rcode, records: local.answers, zone: local.zone, ...(local.expandedTo ? { expandedTo: local.expandedTo } : {}), summary: describeLocal(local, view) };

  if (sealed) return { ...base, outcome: "refused", rcode: "REFUSED", records: [], summary: "REFUSED: an internal network's names are answered locally, nothing is forwarded" };
  const forwarder = ctx.forwarder(view);
  const set = forwarder.upstreamSet;
  const healthy = set.health().filter((h) => h.up);
  const upstreams = healthy.map((h) => (h.address.includes(":") ? `[${h.address}]:${h.port}` : `${h.address}:${h.port}`));
  const hit = forwarder.cache.peek(Forwarder.cacheKey({ question: { name: qname, type: qtype as "A" }, cd: false }));
  const cached = hit && { rcode: rcodeName(hit.rcode), ttlRemaining: hit.ttlRemaining };
  const summary = cached
    ? `answered from cache: ${cached.rcode}, ${cached.ttlRemaining}s left`
    : upstreams.length
      ? `forwarded to ${upstreams.join(", then ")}`
      : set.list.length
        ? "SERVFAIL: every upstream is down"
        : "SERVFAIL: no upstream configured";
  return { ...base, outcome: "forward", ...(cached ? { rcode: cached.rcode, cached } : {}), records: [], upstreams, summary };
}

function describeLocal(a: LocalAnswer, view: string | undefined): string {
  const where = view === undefined ? "no view (client on no network)" : `view ${view}`;
  const zone = a.zone === "" ? "single-label name" : `local zone ${a.zone}`;
  if (a.rcode === "NXDOMAIN") return `NXDOMAIN (${zone}; not in ${where})`;
  if (a.rcode === "NOTIMP") return `NOTIMP (${zone})`;
  if (a.answers.length === 0) return `NODATA (name exists in ${where}, no record of this type)`;
  return `answered from ${where}: ${a.answers.length} record${a.answers.length === 1 ? "" : "s"}`;
}
