// Pure: an admin-tier policy back as the manifest a user writes (the UI's "its YAML");
// parsePolicy(adminManifest(p)) gives p back (tested on every tier truth case).
import type { LabelSelector, NetworkPolicy, Peer, PortSpec } from "../types";
import type { AdminRule } from "./types";
import { ADMIN_API_VERSION } from "./parse";

function selector(s: LabelSelector): Record<string, unknown> {
  return {
    ...(Object.keys(s.matchLabels).length ? { matchLabels: s.matchLabels } : {}),
    ...(s.matchExpressions.length ? { matchExpressions: s.matchExpressions.map((r) => ({ key: r.key, operator: r.operator, ...(r.values.length ? { values: r.values } : {}) })) } : {}),
  };
}

/** Consecutive ipBlocks were one `networks` peer; a pods peer without podSelector was `namespaces`. */
function peers(list: Peer[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const p of list) {
    if (p.kind === "ipBlock") {
      const last = out[out.length - 1];
      if (last && Array.isArray(last.networks)) last.networks.push(p.cidr);
      else out.push({ networks: [p.cidr] });
    } else if (p.kind === "pods") {
      out.push(p.podSelector === null
        ? { namespaces: selector(p.namespaceSelector!) }
        : { pods: { namespaceSelector: selector(p.namespaceSelector!), podSelector: selector(p.podSelector) } });
    }
  }
  return out;
}

/** A named port was parsed into its TCP, UDP and SCTP forms: one namedPort again. */
function ports(list: PortSpec[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    if (typeof p.port === "string") {
      out.push({ namedPort: p.port });
      i += 2;
    } else if (p.endPort !== undefined) out.push({ portRange: { protocol: p.protocol, start: p.port, end: p.endPort } });
    else out.push({ portNumber: { protocol: p.protocol, port: p.port } });
  }
  return out;
}

function rule(r: AdminRule, field: "from" | "to"): Record<string, unknown> {
  return { ...(r.name ? { name: r.name } : {}), action: r.action, [field]: peers(r.peers), ...(r.ports.length ? { ports: ports(r.ports) } : {}) };
}

export function adminManifest(p: NetworkPolicy): Record<string, unknown> {
  const a = p.admin!;
  const s = a.subject;
  const everyPod = Object.keys(s.podSelector.matchLabels).length === 0 && s.podSelector.matchExpressions.length === 0;
  return {
    apiVersion: ADMIN_API_VERSION,
    kind: p.kind,
    metadata: { name: p.name },
    spec: {
      ...(a.tier === "admin" ? { priority: a.priority } : {}),
      subject: everyPod ? { namespaces: selector(s.namespaceSelector) } : { pods: { namespaceSelector: selector(s.namespaceSelector), podSelector: selector(s.podSelector) } },
      ...(a.ingress.length ? { ingress: a.ingress.map((r) => rule(r, "from")) } : {}),
      ...(a.egress.length ? { egress: a.egress.map((r) => rule(r, "to")) } : {}),
    },
  };
}
