// The nft part of HTTP rules across nodes (cluster mode). Cilium enforces a pod's HTTP rules on
// the pod's node, for connections from any node; so does Ponton: the other nodes leave this node's
// guarded workloads out of their L7 listeners (l7-compile.ts) and forward such connections as any
// other (to the workload's own address, or a service address DNATed on the client's node). Here
// they arrive over the overlay (the VXLAN device, or the underlay in native routing) addressed to
// the workload: the L3/L4 policy first, then every packet of the connection is routed to this host
// (the mark, l7-return.ts's table where every address is local), where the proxy's transparent
// socket on the workload's address and port takes it — as after a service's DNAT on this node
// (l7-chains.ts), which already takes the DNATed ones (a NodePort of this node).
import { L7_SETS, POLICY_ENTRY_CHAIN } from "../policy";
import { L7_RETURN_MARK } from "./l7-return";

export const L7_FROM_NODE_CHAIN = `
  chain l7_from_node {
    # Jumped to from l7_after_dnat for what arrives over the overlay (a hook of its own would cost
    # every packet: bench/dataplane/README.md).
    ct status dnat return
    ct state new ip daddr . tcp dport @${L7_SETS.ports4} jump ${POLICY_ENTRY_CHAIN}
    ip daddr . tcp dport @${L7_SETS.ports4} meta mark set ${L7_RETURN_MARK}
    ct state new ip6 daddr . tcp dport @${L7_SETS.ports6} jump ${POLICY_ENTRY_CHAIN}
    ip6 daddr . tcp dport @${L7_SETS.ports6} meta mark set ${L7_RETURN_MARK}
  }
`;
