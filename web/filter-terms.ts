// The flow filter box, as in Hubble UI: "app=web, ip=10.0.0.2, dns=db, pod=fron, verdict=dropped".
// Terms are ANDed; a term may start with from: or to: to look at one end only.
import type { Endpoint, Flow } from "./types";

export interface Term {
  side: "from" | "to" | "either";
  key: string;
  value: string;
}

const KEYS = new Set(["ip", "dns", "pod", "workload", "namespace", "ns", "verdict", "port", "protocol", "policy", "reason", "http-method", "http-path", "http-status"]);

export function parseTerms(text: string): Term[] {
  return text
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter((t) => t.includes("="))
    .map((t) => {
      const side = t.startsWith("from:") ? "from" : t.startsWith("to:") ? "to" : "either";
      const rest = side === "either" ? t : t.slice(side.length + 1);
      const at = rest.indexOf("=");
      const key = rest.slice(0, at);
      // Any other key is a label.
      return { side, key: KEYS.has(key) ? key : `label:${key}`, value: rest.slice(at + 1) };
    });
}

function endMatches(e: Endpoint, t: Term): boolean {
  const v = t.value;
  switch (t.key) {
    case "ip":
      return e.ip === v;
    case "pod":
    case "workload":
      return (e.workload ?? "").startsWith(v);
    case "namespace":
    case "ns":
      return e.namespace === v;
    case "port":
      return String(e.port ?? "") === v;
    case "dns": {
      // The names the embedded DNS answers: a workload or service name, optionally NAME.NAMESPACE…
      const [name, ns] = v.toLowerCase().split(".");
      return (e.workload === name || e.service === name) && (ns === undefined || ns === e.namespace || ns === "ponton" || ns === "svc");
    }
    default:
      return t.key.startsWith("label:") && e.labels?.[t.key.slice(6)] === v;
  }
}

function termMatches(f: Flow, t: Term): boolean {
  // A DNS flow matches dns=NAME by its query: the name or a name under it.
  if (t.key === "dns" && f.dns && t.side === "either") {
    const v = t.value.toLowerCase().replace(/\.$/, "");
    if (f.dns.query === v || f.dns.query.endsWith(`.${v}`)) return true;
  }
  switch (t.key) {
    case "verdict":
      return f.verdict === t.value.toUpperCase() || (t.value.toLowerCase() === "denied" && f.verdict !== "FORWARDED");
    case "protocol":
      return f.protocol === t.value.toLowerCase();
    case "policy":
      return f.policies.some((p) => p === t.value || p.endsWith(`/${t.value}`));
    case "reason":
      return f.dropReason === t.value.toUpperCase();
    case "http-method":
      return f.l7?.method === t.value.toUpperCase();
    case "http-path":
      return (f.l7?.url ?? "").startsWith(t.value);
    case "http-status":
      return String(f.l7?.status ?? "") === t.value;
    case "dns":
      // A DNS flow's query name (Hubble's dns filter), else the names the embedded DNS gives endpoints.
      if (f.dns) return f.dns.query.replace(/\.$/, "").toLowerCase().startsWith(t.value.toLowerCase());
  }
  if (t.side === "from") return endMatches(f.source, t);
  if (t.side === "to") return endMatches(f.destination, t);
  return endMatches(f.source, t) || endMatches(f.destination, t);
}

export function flowMatches(f: Flow, terms: readonly Term[]): boolean {
  return terms.every((t) => termMatches(f, t));
}
