// Pure: a parsed policy back as the Kubernetes manifest a user would write (what the UI shows as
// "its YAML"). parsePolicies(manifest) gives the same policy back (tested on every truth case).
import { LOG_ANNOTATION } from "./parse";
import type { LabelSelector, NetworkPolicy, Peer, PolicyLog, PolicyRule, PortSpec } from "./types";
import { adminManifest } from "./admin/manifest";

function selector(s: LabelSelector): Record<string, unknown> {
  return {
    ...(Object.keys(s.matchLabels).length ? { matchLabels: s.matchLabels } : {}),
    ...(s.matchExpressions.length ? { matchExpressions: s.matchExpressions.map((r) => ({ key: r.key, operator: r.operator, ...(r.values.length ? { values: r.values } : {}) })) } : {}),
  };
}

function peer(p: Peer): Record<string, unknown> {
  if (p.kind === "ipBlock" || p.kind === "worldCidr") return { ipBlock: { cidr: p.cidr, ...(p.except.length ? { except: p.except } : {}) } };
  if (p.kind !== "pods") return {};
  return { ...(p.podSelector ? { podSelector: selector(p.podSelector) } : {}), ...(p.namespaceSelector ? { namespaceSelector: selector(p.namespaceSelector) } : {}) };
}

/** A Cilium rule's peers and ports in Cilium's own fields (fromEndpoints, fromCIDRSet, fromEntities, toPorts). */
function ciliumRule(r: PolicyRule, dir: "from" | "to", policyNamespace: string): Record<string, unknown> {
  const endpoints = r.peers.flatMap((p) => {
    if (p.kind !== "endpoints") return [];
    const sel = selector(p.selector);
    if (p.namespace === null || p.namespace === policyNamespace) return [sel];
    return [{ ...sel, matchLabels: { ...(sel.matchLabels as Record<string, string> | undefined), "io.kubernetes.pod.namespace": p.namespace } }];
  });
  const cidrs = r.peers.flatMap((p) => (p.kind === "worldCidr" || p.kind === "ipBlock" ? [{ cidr: p.cidr, ...(p.except.length ? { except: p.except } : {}) }] : []));
  const entities = r.peers.flatMap((p) => (p.kind === "entity" ? [p.entity] : []));
  const fqdns = r.peers.flatMap((p) => (p.kind === "fqdn" ? p.selectors : []));
  // Ports sharing the same HTTP rules (or none) are one toPorts entry, as they were written; an
  // egress rule's DNS rules go with its ports.
  const toPorts = new Map<string, { ports: Record<string, unknown>[]; rules?: Record<string, unknown> }>();
  for (const p of r.ports) {
    const key = JSON.stringify(p.http ?? null);
    const rules = p.http ? { http: p.http } : r.dns ? { dns: r.dns } : undefined;
    if (!toPorts.has(key)) toPorts.set(key, { ports: [], ...(rules ? { rules } : {}) });
    toPorts.get(key)!.ports.push({ ...(p.port !== undefined ? { port: String(p.port) } : { port: "0" }), ...(p.endPort !== undefined ? { endPort: p.endPort } : {}), protocol: p.protocol.toUpperCase() });
  }
  return {
    ...(endpoints.length ? { [`${dir}Endpoints`]: endpoints } : {}),
    ...(cidrs.length ? { [`${dir}CIDRSet`]: cidrs } : {}),
    ...(entities.length ? { [`${dir}Entities`]: entities } : {}),
    ...(fqdns.length ? { toFQDNs: fqdns } : {}),
    ...(toPorts.size ? { toPorts: [...toPorts.values()] } : {}),
  };
}

function ciliumManifest(p: NetworkPolicy): Record<string, unknown> {
  const rules = (list: PolicyRule[] | undefined, dir: "from" | "to") => (list ?? []).map((r) => ciliumRule(r, dir, p.namespace));
  const sections: [string, PolicyRule[] | undefined, "from" | "to"][] = [["ingress", p.ingress, "from"], ["egress", p.egress, "to"], ["ingressDeny", p.ingressDeny, "from"], ["egressDeny", p.egressDeny, "to"]];
  return {
    apiVersion: "cilium.io/v2",
    kind: p.kind,
    metadata: { name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}), ...(p.log ? { annotations: { [LOG_ANNOTATION]: logAnnotation(p.log) } } : {}) },
    spec: {
      endpointSelector: selector(p.podSelector),
      ...Object.fromEntries(sections.filter(([, list]) => list?.length).map(([name, list, dir]) => [name, rules(list, dir)])),
    },
  };
}

const port = (p: PortSpec) => ({ protocol: p.protocol, ...(p.port !== undefined ? { port: p.port } : {}), ...(p.endPort !== undefined ? { endPort: p.endPort } : {}) });

function rule(r: PolicyRule, peers: "from" | "to"): Record<string, unknown> {
  return { ...(r.peers.length ? { [peers]: r.peers.map(peer) } : {}), ...(r.ports.length ? { ports: r.ports.map(port) } : {}) };
}

function logAnnotation(log: PolicyLog): string {
  const tokens = [...(log.denied ? ["denied"] : []), ...(log.allowed ? ["allowed"] : []), ...log.rules];
  return tokens.length ? tokens.join(",") : "none";
}

export function policyManifest(p: NetworkPolicy): Record<string, unknown> {
  if (p.admin) return adminManifest(p);
  if (p.kind === "CiliumNetworkPolicy" || p.kind === "CiliumClusterwideNetworkPolicy") return ciliumManifest(p);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: p.name, namespace: p.namespace, ...(p.log ? { annotations: { [LOG_ANNOTATION]: logAnnotation(p.log) } } : {}) },
    spec: {
      podSelector: selector(p.podSelector),
      policyTypes: p.policyTypes,
      ...(p.ingress.length ? { ingress: p.ingress.map((r) => rule(r, "from")) } : {}),
      ...(p.egress.length ? { egress: p.egress.map((r) => rule(r, "to")) } : {}),
    },
  };
}
