import { parseCidr } from "../plan/cidr";
import { invalid, notImplemented } from "../errors";
import { checkDnsSubdomain, checkPortName } from "../k8s-names";
import { absent, expectArray, expectObj, expectString, isObj, parseSelector, type Obj } from "../parse-fields";
import { EVERYTHING } from "../selector";
import type { NetworkPolicy, Peer, PortSpec, Protocol } from "../types";
import type { AdminAction, AdminRule, AdminSpec, PolicyTier } from "./types";

// policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy, validated
// as the CRD's schema and CEL rules do (exactly one field per subject, peer and port; from/to
// required; priority 0–1000; the baseline named "default"). Fields Ponton does not enforce are
// refused by name: `nodes` (host traffic is not policed on the forward path) and `domainNames`.

export const ADMIN_API_VERSION = "policy.networking.k8s.io/v1alpha1";
const KINDS: Record<string, PolicyTier> = { AdminNetworkPolicy: "admin", BaselineAdminNetworkPolicy: "baseline" };
export const isAdminKind = (kind: unknown): boolean => typeof kind === "string" && kind in KINDS;

/** Exactly one of `fields` is set (the CRD's MinProperties=1, MaxProperties=1). */
function oneOf(o: Obj, path: string, fields: readonly string[]): string {
  const set = fields.filter((f) => !absent(o[f]));
  if (set.length !== 1) throw invalid(path, `exactly one of ${fields.join(", ")} must be set${set.length ? ` (got ${set.join(", ")})` : ""}`);
  return set[0]!;
}

function list(v: unknown, path: string, min: number, max: number): unknown[] {
  const l = expectArray(v, path);
  if (l.length < min) throw invalid(path, `must have at least ${min} item${min > 1 ? "s" : ""}`);
  if (l.length > max) throw invalid(path, `may have at most ${max} items`);
  return l;
}

function protocol(v: unknown, path: string): Protocol {
  if (absent(v)) return "TCP";
  const p = expectString(v, path);
  if (p !== "TCP" && p !== "UDP" && p !== "SCTP") throw invalid(path, `"${p}" is not supported (TCP, UDP, SCTP)`);
  return p;
}

function portNumber(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) throw invalid(path, `${String(v)} must be between 1 and 65535, inclusive`);
  return v;
}

/** portNumber, namedPort or portRange. A named port carries no protocol: it matches the name on any. */
function parsePort(v: unknown, path: string): PortSpec[] {
  const o = expectObj(v, path, ["portNumber", "namedPort", "portRange"]);
  const which = oneOf(o, path, ["portNumber", "namedPort", "portRange"]);
  if (which === "namedPort") {
    const name = expectString(o.namedPort, `${path}.namedPort`);
    const err = checkPortName(name);
    if (err) throw invalid(`${path}.namedPort`, `"${name}": ${err}`);
    return (["TCP", "UDP", "SCTP"] as const).map((p) => ({ protocol: p, port: name }));
  }
  if (which === "portNumber") {
    const n = expectObj(o.portNumber, `${path}.portNumber`, ["protocol", "port"]);
    return [{ protocol: protocol(n.protocol, `${path}.portNumber.protocol`), port: portNumber(n.port, `${path}.portNumber.port`) }];
  }
  const r = expectObj(o.portRange, `${path}.portRange`, ["protocol", "start", "end"]);
  const start = portNumber(r.start, `${path}.portRange.start`);
  const end = portNumber(r.end, `${path}.portRange.end`);
  if (start >= end) throw invalid(`${path}.portRange`, `start (${start}) must be less than end (${end})`);
  return [{ protocol: protocol(r.protocol, `${path}.portRange.protocol`), port: start, endPort: end }];
}

function namespacedPod(v: unknown, path: string): { namespaceSelector: ReturnType<typeof parseSelector>; podSelector: ReturnType<typeof parseSelector> } {
  const o = expectObj(v, path, ["namespaceSelector", "podSelector"]);
  if (absent(o.namespaceSelector)) throw invalid(`${path}.namespaceSelector`, "required");
  if (absent(o.podSelector)) throw invalid(`${path}.podSelector`, "required");
  return { namespaceSelector: parseSelector(o.namespaceSelector, `${path}.namespaceSelector`), podSelector: parseSelector(o.podSelector, `${path}.podSelector`) };
}

function parsePeer(v: unknown, path: string, egress: boolean): Peer[] {
  const fields = egress ? ["namespaces", "pods", "nodes", "networks", "domainNames"] : ["namespaces", "pods"];
  const o = expectObj(v, path, fields);
  const which = oneOf(o, path, fields);
  if (which === "nodes") throw notImplemented(`${path}.nodes`, "nodes (traffic between a workload and its host is not policed on the forward path)");
  if (which === "domainNames") throw notImplemented(`${path}.domainNames`, "domainNames");
  if (which === "namespaces") return [{ kind: "pods", podSelector: null, namespaceSelector: parseSelector(o.namespaces, `${path}.namespaces`) }];
  if (which === "pods") {
    const p = namespacedPod(o.pods, `${path}.pods`);
    return [{ kind: "pods", podSelector: p.podSelector, namespaceSelector: p.namespaceSelector }];
  }
  // networks: CIDRs that match any address, workloads' included (the API says so of 0.0.0.0/0).
  return list(o.networks, `${path}.networks`, 1, 25).map((c, i) => {
    const t = expectString(c, `${path}.networks[${i}]`);
    if (!parseCidr(t)) throw invalid(`${path}.networks[${i}]`, `"${t}" is not a valid CIDR (e.g. 10.0.0.0/16 or fd00::/64)`);
    return { kind: "ipBlock" as const, cidr: t, except: [] };
  });
}

function parseRules(v: unknown, path: string, tier: PolicyTier, egress: boolean): AdminRule[] {
  if (absent(v)) return [];
  const peerField = egress ? "to" : "from";
  const actions: AdminAction[] = tier === "admin" ? ["Allow", "Deny", "Pass"] : ["Allow", "Deny"];
  return list(v, path, 0, 100).map((r, i) => {
    const rp = `${path}[${i}]`;
    const o = expectObj(r, rp, ["name", "action", peerField, "ports"]);
    const rule: AdminRule = { action: "Deny", peers: [], ports: [] };
    if (!absent(o.name)) {
      const name = expectString(o.name, `${rp}.name`);
      if (name.length > 100) throw invalid(`${rp}.name`, "may be at most 100 characters");
      if (name) rule.name = name;
    }
    if (absent(o.action)) throw invalid(`${rp}.action`, "required");
    const action = expectString(o.action, `${rp}.action`);
    if (!(actions as string[]).includes(action)) throw invalid(`${rp}.action`, `"${action}" is not supported (${actions.join(", ")})`);
    rule.action = action as AdminAction;
    if (absent(o[peerField])) throw invalid(`${rp}.${peerField}`, "required");
    rule.peers = list(o[peerField], `${rp}.${peerField}`, 1, 100).flatMap((p, j) => parsePeer(p, `${rp}.${peerField}[${j}]`, egress));
    if (!absent(o.ports)) rule.ports = list(o.ports, `${rp}.ports`, 1, 100).flatMap((p, j) => parsePort(p, `${rp}.ports[${j}]`));
    return rule;
  });
}

function parseSubject(v: unknown, path: string): AdminSpec["subject"] {
  if (absent(v)) throw invalid(path, "required");
  const o = expectObj(v, path, ["namespaces", "pods"]);
  if (oneOf(o, path, ["namespaces", "pods"]) === "namespaces") return { namespaceSelector: parseSelector(o.namespaces, `${path}.namespaces`), podSelector: EVERYTHING };
  return namespacedPod(o.pods, `${path}.pods`);
}

/** One AdminNetworkPolicy or BaselineAdminNetworkPolicy: cluster-scoped (namespace ""), never isolating. */
export function parseAdminPolicy(v: Obj): NetworkPolicy {
  const o = expectObj(v, "", ["apiVersion", "kind", "metadata", "spec", "status"]);
  if (o.apiVersion !== ADMIN_API_VERSION) throw invalid("apiVersion", `must be "${ADMIN_API_VERSION}", got ${JSON.stringify(o.apiVersion ?? null)}`);
  const kind = o.kind as "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy";
  const tier = KINDS[kind]!;
  if (!isObj(o.metadata)) throw invalid("metadata", "required");
  if (absent(o.metadata.name) || o.metadata.name === "") throw invalid("metadata.name", "required");
  const name = expectString(o.metadata.name, "metadata.name");
  const nameErr = checkDnsSubdomain(name);
  if (nameErr) throw invalid("metadata.name", `"${name}": ${nameErr}`);
  if (tier === "baseline" && name !== "default") throw invalid("metadata.name", `a BaselineAdminNetworkPolicy must be named "default" (there is only one), got "${name}"`);
  const spec = expectObj(absent(o.spec) ? undefined : o.spec, "spec", tier === "admin" ? ["priority", "subject", "ingress", "egress"] : ["subject", "ingress", "egress"]);
  let priority = 0;
  if (tier === "admin") {
    if (absent(spec.priority)) throw invalid("spec.priority", "required");
    const p = spec.priority;
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 1000) throw invalid("spec.priority", `${String(p)} must be between 0 and 1000, inclusive`);
    priority = p;
  }
  const admin: AdminSpec = {
    tier,
    priority,
    subject: parseSubject(spec.subject, "spec.subject"),
    ingress: parseRules(spec.ingress, "spec.ingress", tier, false),
    egress: parseRules(spec.egress, "spec.egress", tier, true),
  };
  return { kind, name, namespace: "", podSelector: EVERYTHING, policyTypes: [], ingress: [], egress: [], admin };
}
