import { yamlDocuments } from "../model/project/yaml-documents";
import { checkCount, MAX_OBJECTS } from "../model/limits";
import { parseCidr, cidrLast } from "./plan/cidr";
import { PolicyError, invalid } from "./errors";
import { checkDnsLabel, checkDnsSubdomain, checkPortName } from "./k8s-names";
import { absent, expectArray, expectObj, expectString, isObj, parseSelector } from "./parse-fields";
import { isCiliumKind, parseCiliumPolicy } from "./cilium/parse";
import { isAdminKind, parseAdminPolicy } from "./admin/parse";
import type { PolicyLog, NetworkPolicy, Peer, PolicyRule, PolicyType, PortSpec, Protocol } from "./types";

// Parses networking.k8s.io/v1 NetworkPolicy objects exactly as the API server validates and
// defaults them. Unknown fields are rejected (kubectl's strict validation does the same):
// a typo such as `form:` would otherwise silently widen a rule to "all sources".

function parsePort(v: unknown, path: string): PortSpec {
  const o = expectObj(absent(v) ? {} : v, path, ["protocol", "port", "endPort"]);
  let protocol: Protocol = "TCP";
  if (!absent(o.protocol)) {
    const p = expectString(o.protocol, `${path}.protocol`);
    if (p !== "TCP" && p !== "UDP" && p !== "SCTP") throw invalid(`${path}.protocol`, `"${p}" is not supported (TCP, UDP, SCTP)`);
    protocol = p;
  }
  const spec: PortSpec = { protocol };
  if (!absent(o.port)) {
    if (typeof o.port === "number") {
      if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw invalid(`${path}.port`, `${o.port} must be between 1 and 65535, inclusive`);
      spec.port = o.port;
    } else if (typeof o.port === "string") {
      const err = checkPortName(o.port);
      if (err) throw invalid(`${path}.port`, `"${o.port}": ${err}`);
      spec.port = o.port;
    } else {
      throw invalid(`${path}.port`, "must be a port number or a port name");
    }
  }
  if (!absent(o.endPort)) {
    if (spec.port === undefined) throw invalid(`${path}.endPort`, "may not be specified when `port` is not specified");
    if (typeof spec.port === "string") throw invalid(`${path}.endPort`, "may not be specified when `port` is non-numeric");
    const e = o.endPort;
    if (typeof e !== "number" || !Number.isInteger(e) || e < 1 || e > 65535) throw invalid(`${path}.endPort`, `${String(e)} must be between 1 and 65535, inclusive`);
    if (e < spec.port) throw invalid(`${path}.endPort`, "must be greater than or equal to `port`");
    spec.endPort = e;
  }
  return spec;
}

function parsePeer(v: unknown, path: string): Peer {
  const o = expectObj(v, path, ["podSelector", "namespaceSelector", "ipBlock"]);
  const hasPod = !absent(o.podSelector);
  const hasNs = !absent(o.namespaceSelector);
  const hasIp = !absent(o.ipBlock);
  if (!hasPod && !hasNs && !hasIp) throw invalid(path, "must specify a peer (podSelector, namespaceSelector or ipBlock)");
  if (hasIp && (hasPod || hasNs)) throw invalid(path, "may not specify both ipBlock and another peer");
  if (hasIp) return parseIpBlock(o.ipBlock, `${path}.ipBlock`);
  return {
    kind: "pods",
    podSelector: hasPod ? parseSelector(o.podSelector, `${path}.podSelector`) : null,
    namespaceSelector: hasNs ? parseSelector(o.namespaceSelector, `${path}.namespaceSelector`) : null,
  };
}

function parseIpBlock(v: unknown, path: string): Peer {
  const o = expectObj(v, path, ["cidr", "except"]);
  if (absent(o.cidr) || o.cidr === "") throw invalid(`${path}.cidr`, "required");
  const cidrText = expectString(o.cidr, `${path}.cidr`);
  const cidr = parseCidr(cidrText);
  if (!cidr) throw invalid(`${path}.cidr`, `"${cidrText}" is not a valid CIDR (e.g. 10.0.0.0/16 or fd00::/64)`);
  const except = absent(o.except) ? [] : expectArray(o.except, `${path}.except`).map((x, i) => {
    const p = `${path}.except[${i}]`;
    const t = expectString(x, p);
    const e = parseCidr(t);
    if (!e) throw invalid(p, `"${t}" is not a valid CIDR`);
    if (e.family !== cidr.family || e.prefix <= cidr.prefix || e.base < cidr.base || e.base > cidrLast(cidr)) {
      throw invalid(p, `"${t}" must be a strict subset of cidr "${cidrText}"`);
    }
    return t;
  });
  return { kind: "ipBlock", cidr: cidrText, except };
}

function parseRules(v: unknown, path: string, peerField: "from" | "to"): PolicyRule[] {
  if (absent(v)) return [];
  return expectArray(v, path).map((r, i) => {
    const rp = `${path}[${i}]`;
    const o = expectObj(absent(r) ? {} : r, rp, [peerField, "ports"]);
    const peers = absent(o[peerField]) ? [] : expectArray(o[peerField], `${rp}.${peerField}`).map((p, j) => parsePeer(p, `${rp}.${peerField}[${j}]`));
    const ports = absent(o.ports) ? [] : expectArray(o.ports, `${rp}.ports`).map((p, j) => parsePort(p, `${rp}.ports[${j}]`));
    return { peers, ports };
  });
}

/** Validates and defaults one NetworkPolicy object (already decoded from YAML or JSON). */
export function parsePolicy(v: unknown): NetworkPolicy {
  if (isObj(v) && isCiliumKind(v.kind)) return parseCiliumPolicy(v);
  if (isObj(v) && isAdminKind(v.kind)) return parseAdminPolicy(v);
  const o = expectObj(v, "", ["apiVersion", "kind", "metadata", "spec", "status"]);
  if (o.apiVersion !== "networking.k8s.io/v1") throw invalid("apiVersion", `must be "networking.k8s.io/v1", got ${JSON.stringify(o.apiVersion ?? null)}`);
  if (o.kind !== "NetworkPolicy") throw invalid("kind", `must be "NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy", got ${JSON.stringify(o.kind ?? null)}`);
  if (!isObj(o.metadata)) throw invalid("metadata", "required");
  if (absent(o.metadata.name) || o.metadata.name === "") throw invalid("metadata.name", "required");
  const name = expectString(o.metadata.name, "metadata.name");
  const nameErr = checkDnsSubdomain(name);
  if (nameErr) throw invalid("metadata.name", `"${name}": ${nameErr}`);
  const namespace = absent(o.metadata.namespace) || o.metadata.namespace === "" ? "default" : expectString(o.metadata.namespace, "metadata.namespace");
  const nsErr = checkDnsLabel(namespace);
  if (nsErr) throw invalid("metadata.namespace", `"${namespace}": ${nsErr}`);

  // An absent spec decodes to the zero spec: select every pod, deny all ingress.
  const spec = expectObj(absent(o.spec) ? {} : o.spec, "spec", ["podSelector", "policyTypes", "ingress", "egress"]);
  const podSelector = parseSelector(spec.podSelector, "spec.podSelector");
  const ingress = parseRules(spec.ingress, "spec.ingress", "from");
  const egress = parseRules(spec.egress, "spec.egress", "to");

  let policyTypes: PolicyType[] = [];
  if (!absent(spec.policyTypes)) {
    const list = expectArray(spec.policyTypes, "spec.policyTypes");
    if (list.length > 2) throw invalid("spec.policyTypes", "may not specify more than two policyTypes");
    list.forEach((t, i) => {
      if (t !== "Ingress" && t !== "Egress") throw invalid(`spec.policyTypes[${i}]`, `${JSON.stringify(t)} is not supported (Ingress, Egress)`);
      if (!policyTypes.includes(t)) policyTypes.push(t);
    });
  }
  // API server defaulting: an empty or absent list means Ingress, plus Egress when the
  // egress list is non-empty (so `egress: []` alone does NOT isolate egress).
  if (policyTypes.length === 0) policyTypes = egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
  policyTypes.sort();

  const log = parseLogAnnotation(o.metadata.annotations, ingress.length, egress.length);
  return { name, namespace, podSelector, policyTypes, ingress, egress, ...(log ? { log } : {}) };
}

/** Lists whose items parsePolicy takes. */
export const LIST_KINDS = new Set(["List", "NetworkPolicyList", "CiliumNetworkPolicyList", "CiliumClusterwideNetworkPolicyList", "AdminNetworkPolicyList", "BaselineAdminNetworkPolicyList"]);

export const LOG_ANNOTATION = "ponton.dev/log";

/** `ponton.dev/log: "denied,ingress[0]"` — tokens none, denied, allowed, all, ingress[N], egress[N]. */
function parseLogAnnotation(annotations: unknown, ingressRules: number, egressRules: number): PolicyLog | undefined {
  if (!isObj(annotations) || absent(annotations[LOG_ANNOTATION])) return undefined;
  const path = `metadata.annotations["${LOG_ANNOTATION}"]`;
  const log: PolicyLog = { denied: false, allowed: false, rules: [] };
  for (const token of expectString(annotations[LOG_ANNOTATION], path).split(",").map((t) => t.trim()).filter(Boolean)) {
    const rule = /^(ingress|egress)\[(\d+)\]$/.exec(token);
    if (token === "none") continue;
    else if (token === "denied") log.denied = true;
    else if (token === "allowed") log.allowed = true;
    else if (token === "all") Object.assign(log, { denied: true, allowed: true });
    else if (rule && Number(rule[2]) < (rule[1] === "ingress" ? ingressRules : egressRules)) log.rules.push(token);
    else throw invalid(path, `"${token}" is not none, denied, allowed, all, or ingress[N]/egress[N] naming one of the policy's rules`);
  }
  return log;
}

/**
 * Parses YAML or JSON text: one or more documents, each a NetworkPolicy, a
 * NetworkPolicyList or a List of them. Empty documents are skipped.
 */
export function parsePolicies(text: string): NetworkPolicy[] {
  const docs = yamlDocuments(text, (d, message) => {
    throw new PolicyError("INVALID_YAML", "", message.split("\n")[0]!, d > 0 ? `document ${d + 1}` : undefined);
  });
  const out: NetworkPolicy[] = [];
  const many = docs.length > 1;
  docs.forEach((value, d) => {
    const context = many ? `document ${d + 1}` : "";
    if (absent(value)) return;
    const withContext = (fn: () => void, ctx: string): void => {
      try {
        fn();
      } catch (e) {
        if (e instanceof PolicyError && ctx) throw e.withContext(ctx);
        throw e;
      }
    };
    if (isObj(value) && LIST_KINDS.has(value.kind as string)) {
      expectArray(value.items ?? [], "items").forEach((item, i) => {
        withContext(() => out.push(parsePolicy(item)), `${context ? context + " " : ""}items[${i}]`);
      });
      return;
    }
    withContext(() => out.push(parsePolicy(value)), context);
  });
  checkCount("policies in one request", out.length, MAX_OBJECTS);
  return out;
}
