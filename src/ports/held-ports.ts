// Pure: which sockets the port holder keeps for the desired state, and where each relays.
import { portTarget } from "../compile";
import { wildcardFamily } from "../model/ports";
import type { Attachment, DesiredState, Network, PortMapping, Workload } from "../model/types";
import { serviceVips } from "../model/services/service";
import type { HoldEntry } from "./holder-protocol";
import { crossesHost } from "../model/networks/drivers";

/** The socket that holds a mapping's host port: no address is one dual-stack socket on `::`. */
export function holdEntry(p: PortMapping): HoldEntry {
  const wildcard = wildcardFamily(p.hostIp);
  if (p.hostIp === undefined) return { protocol: p.protocol, address: "::", v6only: false, port: p.hostPort };
  return { protocol: p.protocol, address: p.hostIp, v6only: wildcard === 6, port: p.hostPort };
}

/**
 * A connection reaches the socket only where the kernel did not DNAT it: a client of the other family
 * (IPv6 to an IPv4-only workload) or [::1], which the kernel cannot DNAT off the host. Relay to the
 * workload's address of the socket's own family when it has one, else to the other.
 */
export function relayTarget(p: PortMapping, attachments: Attachment[], networks: Map<string, Network>): HoldEntry["target"] {
  const six = p.hostIp === undefined || p.hostIp.includes(":");
  const a6 = portTarget(attachments, networks, 6);
  const a4 = portTarget(attachments, networks, 4);
  const ip = six ? (a6?.ip6 ?? a4?.ip4) : (a4?.ip4 ?? a6?.ip6);
  return ip ? { ip, port: p.containerPort } : undefined;
}

/** A workload whose host ports the port holder keeps. A CNI runtime holds its containers' host ports itself (podman's conmon binds them after ADD). */
export const publishes = (w: Workload) => w.state !== "removing" && w.ports.length > 0 && !w.cni;

/** Every socket of the state, by a full pass (HeldEntriesIndex keeps the same per change). */
export function heldEntries(state: DesiredState): HoldEntry[] {
  const networks = new Map(state.networks.map((n) => [n.id, n]));
  const publishing = state.workloads.filter(publishes);
  const attachmentsOf = new Map<string, Attachment[]>(publishing.map((w) => [w.id, []]));
  if (publishing.length) for (const a of state.attachments) if (crossesHost(networks.get(a.networkId))) attachmentsOf.get(a.workloadId)?.push(a);
  return entriesFor(publishing, (id) => attachmentsOf.get(id)!, networks, state.services);
}

/** The sockets of the publishing workloads (in the store's order, their attachments crossing the host in its order) and of the services. */
export function entriesFor(publishing: readonly Workload[], attachmentsOf: (id: string) => Attachment[], networks: Map<string, Network>, services: DesiredState["services"]): HoldEntry[] {
  const out: HoldEntry[] = [];
  for (const w of publishing) {
    const atts = attachmentsOf(w.id);
    for (const p of w.ports) {
      const target = relayTarget(p, atts, networks);
      out.push({ ...holdEntry(p), ...(target ? { target } : {}) });
    }
  }
  // A service's host port (NodePort, --publish) is on every address; the relay goes to its VIP,
  // which the host's own connection reaches through nat_output like any other.
  for (const svc of services ?? []) {
    const vips = serviceVips(svc);
    const vip = vips.find((v) => v.includes(":")) ?? vips[0];
    for (const p of svc.ports) {
      if (p.hostPort === undefined) continue;
      out.push({ protocol: p.protocol, address: "::", v6only: false, port: p.hostPort, ...(vip ? { target: { ip: vip, port: p.port } } : {}) });
    }
  }
  return out;
}
