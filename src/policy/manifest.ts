// Pure: a parsed policy back as the Kubernetes manifest a user would write (what the UI shows as
// "its YAML"). parsePolicies(manifest) gives the same policy back (tested on every truth case).
import { LOG_ANNOTATION } from "./parse";
import type { LabelSelector, NetworkPolicy, Peer, PolicyLog, PolicyRule, PortSpec } from "./types";

function selector(s: LabelSelector): Record<string, unknown> {
  return {
    ...(Object.keys(s.matchLabels).length ? { matchLabels: s.matchLabels } : {}),
    ...(s.matchExpressions.length ? { matchExpressions: s.matchExpressions.map((r) => ({ key: r.key, operator: r.operator, ...(r.values.length ? { values: r.values } : {}) })) } : {}),
  };
}

function peer(p: Peer): Record<string, unknown> {
  if (p.kind === "ipBlock") return { ipBlock: { cidr: p.cidr, ...(p.except.length ? { except: p.except } : {}) } };
  return { ...(p.podSelector ? { podSelector: selector(p.podSelector) } : {}), ...(p.namespaceSelector ? { namespaceSelector: selector(p.namespaceSelector) } : {}) };
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
