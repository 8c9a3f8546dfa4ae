// The application-layer part of a flow, one line, as Hubble shows it beside the L4 columns:
// "POST /v1/request-landing → 200", "DNS A db.shop.svc.cluster.local REFUSED".
import type { Flow } from "./types";

export function l7Label(f: Flow): string {
  if (f.l7) return `${f.l7.method} ${f.l7.url} → ${f.l7.status}`;
  if (f.dns) return `DNS ${f.dns.type} ${f.dns.query.replace(/\.$/, "")} ${f.dns.verdict === "REFUSED" ? "REFUSED" : (f.dns.rcode ?? "")}`.trimEnd();
  return "";
}

/** The request without its answer: what a map edge lists once however often it was asked. */
export function l7Request(f: Flow): string | undefined {
  if (f.l7) return `${f.l7.method} ${f.l7.url.split("?")[0]}`;
  if (f.dns) return `DNS ${f.dns.query.replace(/\.$/, "")}`;
  return undefined;
}
