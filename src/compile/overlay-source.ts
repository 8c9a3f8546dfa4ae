// Native routing (Flannel host-gw, Calico): another node admits from its underlay only traffic with
// a cluster source, so what this host sends toward another node's block — its own connections (an
// HTTP proxy's, a client's) and the NodePort / service connections it NATs — leaves from this node's
// gateway in that network (an address inside its own block), not from its underlay address.
// VXLAN needs none of it: the host's source there is already its VTEP address inside its block.
import { cidrContains, parseCidr } from "../model/ip";
import type { DesiredState } from "../model/types";

/** `cluster range : this node's gateway in it` for the overlay_src4 / overlay_src6 maps. */
export function overlaySources(state: DesiredState, cidrs4: string[], cidrs6: string[]): { v4: string[]; v6: string[] } {
  const pieces = state.networks.filter((n) => n.driver === "bridge");
  const pick = (cidrs: string[], subnet: "subnet4" | "subnet6", gateway: "gateway4" | "gateway6") =>
    cidrs.flatMap((c) => {
      const range = parseCidr(c);
      const piece = pieces.find((n) => n[subnet] !== undefined && n[gateway] !== undefined && cidrContains(range, range.family, parseCidr(n[subnet]!).network));
      return piece ? [`${c} : ${piece[gateway]}`] : [];
    });
  return { v4: pick(cidrs4, "subnet4", "gateway4"), v6: pick(cidrs6, "subnet6", "gateway6") };
}
