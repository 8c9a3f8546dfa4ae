// Which etcd events can change the overlay (pure). The cluster's watch sees every key under /ponton/;
// before this filter every heartbeat (each node's info, every TTL/3) made every node re-read etcd and
// re-apply its tunnels — with N nodes, N²/(TTL/3) syncs a second, each spawning `ip` per tunnel.
// A node's record moves the overlay only when its address, VXLAN MAC or link-local address changes; workload records,
// services, policies, reservations and L2 leases never do (they have watches of their own).
import { BLOCKS, NETWORKS, ROOT, parseNodeKey } from "../keys";

export class OverlayEvents {
  /** node → "address MAC" as last seen in its record. */
  private readonly seen = new Map<string, string>();

  /** `value`: the new value of a put, undefined for a delete. */
  moves(key: string, value: string | undefined): boolean {
    if (key.startsWith(NETWORKS) || key.startsWith(BLOCKS) || key.startsWith(`${ROOT}config/`)) return true;
    const k = parseNodeKey(key);
    if (!k) return false;
    if (k.kind === "alive") return true;
    if (value === undefined) {
      this.seen.delete(k.node);
      return true;
    }
    let where: string;
    try {
      const info = JSON.parse(value) as { address?: string; vtepMac?: string; linkLocal6?: string };
      where = `${info.address ?? ""} ${info.vtepMac ?? ""} ${info.linkLocal6 ?? ""}`;
    } catch {
      return true;
    }
    if (this.seen.get(k.node) === where) return false;
    this.seen.set(k.node, where);
    return true;
  }
}
