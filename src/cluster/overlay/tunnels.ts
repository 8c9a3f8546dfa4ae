// The overlay's desired state (pure): for each pod block of another Ready node, where to send it.
// As Flannel's vxlan backend: the remote VTEP address is the block's network address, reached
// `onlink` through our VXLAN device, with a permanent neighbour (its MAC) and FDB entry (its node).
import { parseCidr, formatIp } from "../../model/ip";
import type { NodeView } from "../node-view";

export interface Tunnel {
  block: string;
  network: string;
  node: string;
  /** Underlay address of the node (the FDB destination). */
  address: string;
  /** The remote VTEP: the block's first address, held by the remote VXLAN device as /32. */
  vtep: string;
  mac: string;
  /** Native routing of an IPv6 block: the node's link-local address on the shared segment (the next hop). */
  via6?: string;
}

export const vtepAddress = (block: string): string => {
  const c = parseCidr(block);
  return formatIp(c.family, c.network);
};

/**
 * Tunnels to every block held by another Ready node — over VXLAN only once it has published its
 * device's MAC; with native routing no MAC is needed (`vtep` and `mac` stay empty), and an IPv6
 * block goes via the node's link-local address (nodes have IPv4 underlay addresses), so only once
 * the node has published it.
 */
export function tunnelPlan(self: string, nodes: NodeView[], native = false): Tunnel[] {
  return nodes
    .filter((n) => n.name !== self && n.status === "Ready" && (native || n.vtepMac))
    .flatMap((n) =>
      n.blocks.flatMap((nb): Tunnel[] => {
        const [network, block] = nb.split("=") as [string, string];
        if (!native) return [{ block, network, node: n.name, address: n.address, vtep: vtepAddress(block), mac: n.vtepMac! }];
        if (!block.includes(":")) return [{ block, network, node: n.name, address: n.address, vtep: "", mac: "" }];
        return n.linkLocal6 ? [{ block, network, node: n.name, address: n.address, vtep: "", mac: "", via6: n.linkLocal6 }] : [];
      }),
    )
    .sort((a, b) => a.block.localeCompare(b.block, "en", { numeric: true }));
}
