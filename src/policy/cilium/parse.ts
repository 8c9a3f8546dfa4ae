import { parseCidr, cidrLast } from "../plan/cidr";
import { invalid, notImplemented } from "../errors";
import { checkDnsLabel, checkDnsSubdomain, checkPortName } from "../k8s-names";
import { absent, expectArray, expectObj, expectString, isObj, parseSelector, type Obj } from "../parse-fields";
import type { DnsMatch, Entity, LabelSelector, NetworkPolicy, Peer, PolicyKind, PolicyRule, PolicyType, PortSpec, Protocol } from "../types";
import { CILIUM_NAMESPACE_LABEL } from "../world";
import { checkHttpPorts, parseHttpRules } from "./http-rules";
import { checkDnsRule, parseL7Rules, parseToFqdns } from "./dns-rules";

// cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, L3/L4 and HTTP, parsed into
// the shared model. Fields Cilium has and Ponton does not enforce yet are refused by name
// (POLICY_NOT_IMPLEMENTED), never ignored: an ignored L7 rule would silently widen the policy.

const KINDS = new Set(["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"]);
export const isCiliumKind = (kind: unknown): boolean => typeof kind === "string" && KINDS.has(kind);

const SPEC_FIELDS = ["endpointSelector", "ingress", "ingressDeny", "egress", "egressDeny", "description", "labels"];
const SPEC_LATER: Record<string, string> = { nodeSelector: "nodeSelector (host policies)", enableDefaultDeny: "enableDefaultDeny" };
const INGRESS_FIELDS = ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "toPorts"];
const EGRESS_FIELDS = ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toPorts", "toFQDNs"];
const RULE_LATER: Record<string, string> = {
  fromRequires: "fromRequires", toRequires: "toRequires", fromGroups: "fromGroups", toGroups: "toGroups",
  fromNodes: "fromNodes", toNodes: "toNodes", toServices: "toServices", icmps: "icmps", authentication: "authentication",
};
const ENTITIES: Record<string, Entity> = { world: "world", host: "host", cluster: "cluster", all: "all", "remote-node": "remote-node" };

/** Cilium label keys may carry a source: "k8s:" and "any:" both mean a Kubernetes label here. */
function labelKey(key: string, path: string): string {
  const colon = key.indexOf(":");
  if (colon < 0) return key;
  const source = key.slice(0, colon);
  if (source === "k8s" || source === "any") return key.slice(colon + 1);
  throw notImplemented(path, `label source "${source}:"`);
}

/** Strips sources from keys, then validates as a Kubernetes selector. */
function parseCiliumSelector(v: unknown, path: string): LabelSelector {
  if (!isObj(v)) return parseSelector(v, path);
  const raw: Obj = { ...v };
  if (isObj(v.matchLabels)) {
    raw.matchLabels = Object.fromEntries(Object.entries(v.matchLabels).map(([k, val]) => [labelKey(k, `${path}.matchLabels`), val]));
  }
  if (Array.isArray(v.matchExpressions)) {
    raw.matchExpressions = v.matchExpressions.map((e, i) => (isObj(e) && typeof e.key === "string" ? { ...e, key: labelKey(e.key, `${path}.matchExpressions[${i}].key`) } : e));
  }
  return parseSelector(raw, path);
}

function mentionsNamespace(sel: LabelSelector): boolean {
  return CILIUM_NAMESPACE_LABEL in sel.matchLabels || sel.matchExpressions.some((r) => r.key === CILIUM_NAMESPACE_LABEL);
}

function parseCidrText(v: unknown, path: string): ReturnType<typeof parseCidr> & object {
  const t = expectString(v, path);
  const c = parseCidr(t.includes("/") ? t : t.includes(":") ? `${t}/128` : `${t}/32`);
  if (!c) throw invalid(path, `"${t}" is not a valid CIDR (e.g. 10.0.0.0/16 or fd00::/64)`);
  return c;
}

function parseCidrSet(v: unknown, path: string): Peer {
  const o = expectObj(v, path, ["cidr", "except", "cidrGroupRef", "cidrGroupSelector"]);
  if (!absent(o.cidrGroupRef) || !absent(o.cidrGroupSelector)) throw notImplemented(path, "CiliumCIDRGroup references");
  if (absent(o.cidr)) throw invalid(`${path}.cidr`, "required");
  const cidr = parseCidrText(o.cidr, `${path}.cidr`);
  const except = absent(o.except) ? [] : expectArray(o.except, `${path}.except`).map((x, i) => {
    const p = `${path}.except[${i}]`;
    const e = parseCidrText(x, p);
    if (e.family !== cidr.family || e.prefix <= cidr.prefix || e.base < cidr.base || e.base > cidrLast(cidr)) {
      throw invalid(p, `"${String(x)}" must be a strict subset of cidr "${String(o.cidr)}"`);
    }
    return String(x);
  });
  return { kind: "worldCidr", cidr: String(o.cidr), except };
}

/**
 * toPorts[].ports[]: port is a string ("80", "0" = all, or a port name); protocol TCP, UDP, SCTP or
 * ANY (default). `rules`: DNS selectors go to `dns` (egress, towards the resolver); HTTP rules stay
 * on the TCP ports they guard (ingress, through the L7 proxy).
 */
function parseCiliumPorts(v: unknown, path: string, deny: boolean, dir: "ingress" | "egress", dns: DnsMatch[]): PortSpec[] {
  const out: PortSpec[] = [];
  expectArray(v, path).forEach((tp, i) => {
    const tpPath = `${path}[${i}]`;
    const o = expectObj(tp, tpPath, ["ports", "rules", "serverNames", "listener", "originatingTLS", "terminatingTLS"]);
    const rules = absent(o.rules) ? undefined : expectObj(o.rules, `${tpPath}.rules`, ["dns", "http", "kafka", "l7proto", "l7"]);
    if (rules && !absent(rules.dns) && !absent(rules.http)) throw invalid(`${tpPath}.rules`, "dns and http rules on one port entry: write two toPorts entries");
    // DNS (and the refusal of every other L7 kind) here; HTTP apart.
    if (rules) dns.push(...parseL7Rules({ ...rules, http: undefined }, `${tpPath}.rules`, deny, dir === "egress"));
    const http = rules && !absent(rules.http) ? parseHttpRules({ http: rules.http }, `${tpPath}.rules`, deny) : undefined;
    const entry: PortSpec[] = [];
    for (const f of ["serverNames", "listener", "originatingTLS", "terminatingTLS"]) if (!absent(o[f])) throw notImplemented(`${tpPath}.${f}`, f);
    if (absent(o.ports)) throw invalid(`${tpPath}.ports`, "required");
    expectArray(o.ports, `${tpPath}.ports`).forEach((pp, j) => {
      const pPath = `${tpPath}.ports[${j}]`;
      const p = expectObj(pp, pPath, ["port", "endPort", "protocol"]);
      const proto = absent(p.protocol) ? "ANY" : expectString(p.protocol, `${pPath}.protocol`);
      if (!["TCP", "UDP", "SCTP", "ANY"].includes(proto)) {
        if (proto === "ICMP" || proto === "ICMPv6") throw notImplemented(`${pPath}.protocol`, `protocol ${proto}`);
        throw invalid(`${pPath}.protocol`, `"${proto}" is not supported (TCP, UDP, SCTP, ANY)`);
      }
      const protocols: Protocol[] = proto === "ANY" ? ["TCP", "UDP", "SCTP"] : [proto as Protocol];
      let port: number | string | undefined;
      if (!absent(p.port)) {
        const text = typeof p.port === "number" ? String(p.port) : expectString(p.port, `${pPath}.port`);
        if (/^\d+$/.test(text)) {
          const n = Number(text);
          if (n > 65535) throw invalid(`${pPath}.port`, `${text} must be between 0 and 65535`);
          port = n === 0 ? undefined : n;
        } else {
          const err = checkPortName(text);
          if (err) throw invalid(`${pPath}.port`, `"${text}": ${err}`);
          port = text;
        }
      }
      let endPort: number | undefined;
      if (!absent(p.endPort)) {
        const e = p.endPort;
        if (typeof e !== "number" || !Number.isInteger(e) || e < 1 || e > 65535) throw invalid(`${pPath}.endPort`, `${String(e)} must be between 1 and 65535`);
        if (typeof port !== "number") throw invalid(`${pPath}.endPort`, "needs a numeric, non-zero port");
        if (e < port) throw invalid(`${pPath}.endPort`, "must be greater than or equal to port");
        endPort = e;
      }
      for (const protocol of protocols) {
        entry.push({ protocol, ...(port !== undefined ? { port } : {}), ...(endPort !== undefined ? { endPort } : {}), ...(http && protocol === "TCP" ? { http } : {}) });
      }
    });
    if (http) checkHttpPorts(entry, tpPath);
    out.push(...entry);
  });
  return out;
}

function parseCiliumRules(v: unknown, path: string, dir: "ingress" | "egress", deny: boolean, namespace: string): PolicyRule[] {
  if (absent(v)) return [];
  const [ep, cidr, cidrSet, ent] = dir === "ingress" ? ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities"] : ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities"];
  const fields = dir === "ingress" ? INGRESS_FIELDS : EGRESS_FIELDS;
  return expectArray(v, path).map((r, i) => {
    const rp = `${path}[${i}]`;
    if (isObj(r)) for (const k of Object.keys(r)) if (RULE_LATER[k]) throw notImplemented(`${rp}.${k}`, RULE_LATER[k]!);
    const o = expectObj(absent(r) ? {} : r, rp, fields);
    const peers: Peer[] = [];
    let selectsPeers = false;
    if (!absent(o[ep])) {
      selectsPeers = true;
      expectArray(o[ep], `${rp}.${ep}`).forEach((s, j) => {
        const selector = parseCiliumSelector(s ?? {}, `${rp}.${ep}[${j}]`);
        // A namespaced policy's endpoint selectors stay in its namespace unless they name one.
        peers.push({ kind: "endpoints", selector, namespace: namespace === "" || mentionsNamespace(selector) ? null : namespace });
      });
    }
    if (!absent(o[cidr])) {
      selectsPeers = true;
      expectArray(o[cidr], `${rp}.${cidr}`).forEach((c, j) => {
        parseCidrText(c, `${rp}.${cidr}[${j}]`);
        const text = String(c);
        peers.push({ kind: "worldCidr", cidr: text.includes("/") ? text : text.includes(":") ? `${text}/128` : `${text}/32`, except: [] });
      });
    }
    if (!absent(o[cidrSet])) {
      selectsPeers = true;
      expectArray(o[cidrSet], `${rp}.${cidrSet}`).forEach((c, j) => peers.push(parseCidrSet(c, `${rp}.${cidrSet}[${j}]`)));
    }
    if (!absent(o[ent])) {
      selectsPeers = true;
      expectArray(o[ent], `${rp}.${ent}`).forEach((e, j) => {
        const name = expectString(e, `${rp}.${ent}[${j}]`);
        const entity = ENTITIES[name];
        if (!entity) {
          if (["init", "health", "unmanaged", "ingress", "kube-apiserver"].includes(name)) throw notImplemented(`${rp}.${ent}[${j}]`, `entity "${name}"`);
          throw invalid(`${rp}.${ent}[${j}]`, `"${name}" is not an entity (world, host, cluster, all, remote-node)`);
        }
        peers.push({ kind: "entity", entity });
      });
    }
    if (!absent(o.toFQDNs)) {
      if (deny) throw notImplemented(`${rp}.toFQDNs`, "toFQDNs in egressDeny");
      selectsPeers = true;
      peers.push(parseToFqdns(o.toFQDNs, `${rp}.toFQDNs`, [ep, cidr, cidrSet, ent].filter((f) => !absent(o[f]))));
    }
    const dns: DnsMatch[] = [];
    const ports = absent(o.toPorts) ? [] : parseCiliumPorts(o.toPorts, `${rp}.toPorts`, deny, dir, dns);
    // Cilium: a rule with no L3 selector and no ports selects nothing (it only enables default
    // deny); with ports only it admits every peer on them; selectors that resolve to no peer
    // (e.g. fromEndpoints: []) select nothing either.
    if ((!selectsPeers && ports.length === 0) || (selectsPeers && peers.length === 0)) return { peers: [], ports: [], empty: true };
    const rule: PolicyRule = { peers, ports, ...(dns.length ? { dns } : {}) };
    checkDnsRule(rule, rp);
    return rule;
  });
}

/** Validates one CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy (L3/L4). */
export function parseCiliumPolicy(o: Obj): NetworkPolicy {
  expectObj(o, "", ["apiVersion", "kind", "metadata", "spec", "specs", "status"]);
  if (o.apiVersion !== "cilium.io/v2") throw invalid("apiVersion", `must be "cilium.io/v2", got ${JSON.stringify(o.apiVersion ?? null)}`);
  const kind = o.kind as PolicyKind;
  if (!isObj(o.metadata)) throw invalid("metadata", "required");
  if (absent(o.metadata.name) || o.metadata.name === "") throw invalid("metadata.name", "required");
  const name = expectString(o.metadata.name, "metadata.name");
  const nameErr = checkDnsSubdomain(name);
  if (nameErr) throw invalid("metadata.name", `"${name}": ${nameErr}`);
  // Cluster-scoped: the API server ignores a namespace on a clusterwide policy.
  let namespace = "";
  if (kind === "CiliumNetworkPolicy") {
    namespace = absent(o.metadata.namespace) || o.metadata.namespace === "" ? "default" : expectString(o.metadata.namespace, "metadata.namespace");
    const nsErr = checkDnsLabel(namespace);
    if (nsErr) throw invalid("metadata.namespace", `"${namespace}": ${nsErr}`);
  }
  if (!absent(o.specs)) throw notImplemented("specs", "a list of rules in one policy (write one policy per rule, with spec)");
  if (absent(o.spec)) throw invalid("spec", "required");
  if (isObj(o.spec)) for (const k of Object.keys(o.spec)) if (SPEC_LATER[k]) throw notImplemented(`spec.${k}`, SPEC_LATER[k]!);
  const spec = expectObj(o.spec, "spec", SPEC_FIELDS);
  if (absent(spec.endpointSelector)) throw invalid("spec.endpointSelector", "required");
  const podSelector = parseCiliumSelector(spec.endpointSelector, "spec.endpointSelector");
  const ingress = parseCiliumRules(spec.ingress, "spec.ingress", "ingress", false, namespace);
  const egress = parseCiliumRules(spec.egress, "spec.egress", "egress", false, namespace);
  const ingressDeny = parseCiliumRules(spec.ingressDeny, "spec.ingressDeny", "ingress", true, namespace);
  const egressDeny = parseCiliumRules(spec.egressDeny, "spec.egressDeny", "egress", true, namespace);
  // A section that is present puts the selected endpoints in default deny for that direction.
  const policyTypes: PolicyType[] = [];
  if (!absent(spec.egress) || !absent(spec.egressDeny)) policyTypes.push("Egress");
  if (!absent(spec.ingress) || !absent(spec.ingressDeny)) policyTypes.push("Ingress");
  if (policyTypes.length === 0) throw invalid("spec", "needs ingress, ingressDeny, egress or egressDeny");
  return {
    kind, name, namespace, podSelector, policyTypes, ingress, egress,
    ...(ingressDeny.length ? { ingressDeny } : {}),
    ...(egressDeny.length ? { egressDeny } : {}),
  };
}
