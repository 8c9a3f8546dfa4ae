// The nftables part of the Plan: a fixed skeleton of chains plus sets/maps whose elements
// carry everything that grows with the workload (kube-proxy nftables-mode design).
import type { NftChain, ServiceFragment, ServicePortEndpoints } from "./services/compile";
import { POLICY_JUMP_RULE, SERVICE_SLOT_MARK, type PolicyPlan } from "../policy";
import { dropChain, FLOW_RECORD_CHAIN, logRule } from "./flow-log";
import { acceptedChain, CHECK_LOCALHOST_CHAIN, flowLogChains, FORWARD_FORGED_RULE, forwardRecordRules, INPUT_FORGED_RULE, PREROUTING_NEW_CHAIN } from "./first-packet-chains";
import { L7_CHAINS, L7_TPROXIED_ACCEPT } from "./l7-chains";
import { L7_FROM_NODE_CHAIN } from "./l7-from-node";
import type { OffloadPlan } from "./flow-offload";

export interface NftSet {
  name: string;
  kind: "set" | "map";
  type: string;
  /** `type` is a `typeof` expression (numgen keys have no named datatype to declare). */
  typeof?: boolean;
  flags?: string[];
  /** Rendered elements, sorted: the element text doubles as its identity for diffs. */
  elements: string[];
}

export interface NftPlan {
  sets: NftSet[];
  /** Rules of the user hook chain, in order (stored by `ponton firewall`). */
  userRules: string[];
  /** Per-service chains and elements; the diff adds, rewrites or deletes them service by service. */
  services?: ServiceFragment[];
  /** NetworkPolicy maps and chains (src/policy): always present, empty maps when no policy exists. */
  policy: PolicyPlan;
  /** Rules of `flow_record`: NFLOG of each new connection (empty when flow logging is off). */
  flowRecord: string[];
  /** Rules of `forward_others`: what happens to traffic forwarded between interfaces we do not own. */
  forwardOthers: string[];
  /** Some HTTP rule has a listener: the L7 chains every packet enters are declared (l7-chains.ts L7_PACKET_HOOKS). */
  l7InUse: boolean;
  /** Rules of `l7_egress_tproxy` (l7-chains.ts): TPROXY to the egress listeners where the kernel has it. */
  egressTproxy: string[];
  /** Flowtable offload (pontond --flow-offload, on kernels that have it): absent when off. */
  offload?: OffloadPlan;
  /** Flow records written in forward (no user rule: first-packet-chains.ts), or by flow_log after it. */
  recordInForward: boolean;
}

export const USER_CHAIN = "user";
export { FLOW_RECORD_CHAIN };
export const FORWARD_OTHERS_CHAIN = "forward_others";
export type { NftChain, ServiceFragment, ServicePortEndpoints };

/** Set declarations, in render order. Changing one means a full reload, so keep it stable. */
export const SET_DECLS: ReadonlyArray<Omit<NftSet, "elements">> = [
  { name: "bridges", kind: "set", type: "ifname" },
  // Every interface Ponton manages (bridges today; an uplink or VXLAN link of a driver joins it):
  // traffic forwarded between two interfaces outside it is not ours (forward_others).
  { name: "owned_ifs", kind: "set", type: "ifname" },
  // Bridges of --no-host-access networks, and each bridge's DNS (gateway address, protocol, port).
  { name: "no_host_access", kind: "set", type: "ifname" },
  { name: "gw_dns4", kind: "set", type: "ifname . ipv4_addr . inet_proto . inet_service" },
  { name: "gw_dns6", kind: "set", type: "ifname . ipv6_addr . inet_proto . inet_service" },
  { name: "same_bridge", kind: "set", type: "ifname . ifname" },
  { name: "icc_off_bridges", kind: "set", type: "ifname" },
  { name: "internal_bridges", kind: "set", type: "ifname" },
  { name: "routed", kind: "set", type: "ifname . ifname" },
  // Routed networks (--driver routed, no bridge): every workload veth of one network starts with the
  // network's prefix, so one wildcard pair ("pr-1a2b*" . "pr-1a2b*") says "same network", and
  // pairs with other networks' prefixes or bridges say "--route-to". Each veth is also an element of
  // the per-interface sets above (bridges, owned_ifs, …) as a bridge would be.
  { name: "same_network_ifs", kind: "set", type: "ifname . ifname", flags: ["interval"] },
  { name: "routed_ifs", kind: "set", type: "ifname . ifname", flags: ["interval"] },
  { name: "subnets4", kind: "set", type: "ipv4_addr", flags: ["interval"] },
  { name: "subnets6", kind: "set", type: "ipv6_addr", flags: ["interval"] },
  { name: "masq4", kind: "set", type: "ipv4_addr", flags: ["interval"] },
  { name: "masq6", kind: "set", type: "ipv6_addr", flags: ["interval"] },
  // Cluster mode (empty on a single host): the VXLAN device and the cluster networks' ranges.
  { name: "overlay_ifs", kind: "set", type: "ifname" },
  { name: "cluster4", kind: "set", type: "ipv4_addr", flags: ["interval"] },
  { name: "cluster6", kind: "set", type: "ipv6_addr", flags: ["interval"] },
  // Native routing: each cluster range → this node's gateway in it (overlay-source.ts).
  { name: "overlay_src4", kind: "map", type: "ipv4_addr : ipv4_addr", flags: ["interval"] },
  { name: "overlay_src6", kind: "map", type: "ipv6_addr : ipv6_addr", flags: ["interval"] },
  { name: "pub4", kind: "map", type: "inet_proto . inet_service : ipv4_addr . inet_service" },
  { name: "pub4_addr", kind: "map", type: "ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service" },
  { name: "pub6", kind: "map", type: "inet_proto . inet_service : ipv6_addr . inet_service" },
  { name: "pub6_addr", kind: "map", type: "ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service" },
  { name: "pub_restricted", kind: "set", type: "inet_proto . inet_service" },
  // Gateway mode routed: published container ports reachable at the workload's own address, and
  // the bridges where ICMP from outside may reach workloads (Docker's gateway_mode_ipv4=routed).
  { name: "direct4", kind: "set", type: "ipv4_addr . inet_proto . inet_service" },
  { name: "direct6", kind: "set", type: "ipv6_addr . inet_proto . inet_service" },
  { name: "routed_gw_bridges", kind: "set", type: "ifname" },
  { name: "pub_allow4", kind: "set", type: "ipv4_addr . inet_proto . inet_service", flags: ["interval"] },
  { name: "pub_allow6", kind: "set", type: "ipv6_addr . inet_proto . inet_service", flags: ["interval"] },
  // Services: VIP (and external IP) dispatch, host-port dispatch, and those with no ready endpoint;
  // one of each per IP family (a dual-stack service has an element in both).
  { name: "svc_ips", kind: "map", type: "ipv4_addr . inet_proto . inet_service : verdict" },
  { name: "svc_ports", kind: "map", type: "inet_proto . inet_service : verdict" },
  { name: "svc_noep", kind: "set", type: "ipv4_addr . inet_proto . inet_service" },
  { name: "svc_noep_ports", kind: "set", type: "inet_proto . inet_service" },
  { name: "svc_ips6", kind: "map", type: "ipv6_addr . inet_proto . inet_service : verdict" },
  { name: "svc_ports6", kind: "map", type: "inet_proto . inet_service : verdict" },
  { name: "svc_noep6", kind: "set", type: "ipv6_addr . inet_proto . inet_service" },
  { name: "svc_noep_ports6", kind: "set", type: "inet_proto . inet_service" },
  // Every service port's endpoints at its slot block (services/slots.ts), keyed by the ct mark the
  // scheduler rule left: one map per family, not one per service.
  { name: "svc_eps", kind: "map", type: "mark : ipv4_addr . inet_service" },
  { name: "svc_eps6", kind: "map", type: "mark : ipv6_addr . inet_service" },
  { name: "svc_eps_goto", kind: "map", type: "numgen inc mod 2 : verdict", typeof: true },
  // Decision ids of policy rules whose admitted connections are logged even with flow logging off.
  { name: "flow_log_ids", kind: "set", type: "mark" },
];

/**
 * Base chains and dispatch rules. Fixed text: per-packet cost is a handful of set lookups
 * whatever the number of networks, workloads and ports.
 */
/** A service's scheduler rule ran for this new connection: its slot is in the ct mark. */
const SLOT_PICKED = `ct mark and 0x${SERVICE_SLOT_MARK.toString(16)} == 0x${SERVICE_SLOT_MARK.toString(16)}`;

export const skeletonChains = (recordInForward: boolean) => `
  # Declared first (rules jump to them). Each drop logs its reason to NFLOG (rate-limited) for the flow collector.
${dropChain("isolation")}
${dropChain("iccOff")}
${dropChain("internal")}
${dropChain("notPublished")}
${dropChain("allowFrom")}
${dropChain("forgedLocalhost")}
${dropChain("invalid")}
${dropChain("foreignForward")}
${dropChain("hostAccess")}
${L7_CHAINS}
${L7_FROM_NODE_CHAIN}
${PREROUTING_NEW_CHAIN}
${acceptedChain(recordInForward)}
${CHECK_LOCALHOST_CHAIN}
  chain check_allow_from {
    ip saddr . meta l4proto . th dport @pub_allow4 return
    ip6 saddr . meta l4proto . th dport @pub_allow6 return
    goto drop_allow_from
  }
  chain nat_prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    # Loopback-bound ports are this host's alone. DNAT here runs before the kernel's martian check,
    # so a forged 127.0.0.1 packet from the wire would become routable (Docker's leak before 28.0).
    ip daddr 127.0.0.0/8 return
    ip6 daddr ::1 return
    # A service's chain (jumped to) leaves its endpoint pick in the ct mark; svc_dnat applies it.
    ip daddr . meta l4proto . th dport vmap @svc_ips
    ip6 daddr . meta l4proto . th dport vmap @svc_ips6
    ${SLOT_PICKED} goto svc_dnat
    fib daddr type local jump published
  }
  chain nat_output {
    type nat hook output priority -100; policy accept;
    ip daddr . meta l4proto . th dport vmap @svc_ips
    ip6 daddr . meta l4proto . th dport vmap @svc_ips6
    ${SLOT_PICKED} goto svc_dnat
    # A ::1-sourced packet never leaves lo: the port holder's socket answers [::1] and relays.
    ip6 daddr ::1 return
    fib daddr type local jump published
  }
  chain svc_dnat {
    # The protocol match first: nft maps a port only after one.
    meta nfproto ipv4 meta l4proto tcp dnat ip to ct mark map @svc_eps
    meta nfproto ipv4 meta l4proto udp dnat ip to ct mark map @svc_eps
    meta nfproto ipv6 meta l4proto tcp dnat ip6 to ct mark map @svc_eps6
    meta nfproto ipv6 meta l4proto udp dnat ip6 to ct mark map @svc_eps6
  }
  chain svc_filter_output {
    type filter hook output priority -110; policy accept;
    ct state new ip daddr . meta l4proto . th dport @svc_noep jump svc_reject
    ct state new ip6 daddr . meta l4proto . th dport @svc_noep6 jump svc_reject
    ct state new meta nfproto ipv4 meta l4proto . th dport @svc_noep_ports fib daddr type local jump svc_reject
    ct state new meta nfproto ipv6 meta l4proto . th dport @svc_noep_ports6 fib daddr type local jump svc_reject
  }
  chain svc_reject {
    ${logRule("noEndpoint")}
    meta l4proto tcp reject with tcp reset
    # In the inet family: ICMP or ICMPv6 port unreachable, whichever the packet is.
    reject
  }
  chain published {
    # An internal network reaches no other network, not even through a host port: left untranslated,
    # the packet is the host's own (input, where host access decides).
    iifname @internal_bridges return
    # A host port reaches the service's half of the client's family (a single-stack service: one).
    meta nfproto ipv4 meta l4proto . th dport vmap @svc_ports
    meta nfproto ipv6 meta l4proto . th dport vmap @svc_ports6
    ${SLOT_PICKED} goto svc_dnat
    meta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @pub4_addr
    meta nfproto ipv4 dnat ip to meta l4proto . th dport map @pub4
    meta nfproto ipv6 dnat ip6 to ip6 daddr . meta l4proto . th dport map @pub6_addr
    meta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @pub6
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    # Every packet enters the hooked chains (bench/dataplane/levers.js): forward is the only filter
    # chain of ours a forwarded one passes (first-packet-chains.ts).
    ${FORWARD_FORGED_RULE}
    # HTTP rules are never skipped (l7-chains.ts), whatever the user hook says.
    ct state new jump l7_forward
    jump ${USER_CHAIN}
    ct state established,related accept
    # NetworkPolicy: returns when allowed (or no policy applies), drops otherwise; isolation rules still follow.
    ${POLICY_JUMP_RULE}
    # A packet conntrack cannot place (a stray RST) gets no NAT: it would leave with the workload's address.
    ct state invalid iifname @bridges goto drop_invalid
    # br_netfilter shows bridged traffic with the bridge as both iif and oif.
    iifname . oifname @same_bridge jump same_network
    iifname . oifname @same_network_ifs jump same_network
    # Pod to pod from another node, over the overlay: as if on one network (policy ran above).
    iifname @overlay_ifs oifname @bridges ip saddr @cluster4 ip daddr @cluster4 goto accepted
    iifname @overlay_ifs oifname @bridges ip6 saddr @cluster6 ip6 daddr @cluster6 goto accepted
    # A NodePort of this node whose endpoint is on another node: with native routing the connection
    # comes in and leaves by the underlay, neither of them ours (forward_others below). Not from a
    # bridge: a workload's own DNATed connections keep their isolation checks (from_network).
    iifname != @bridges oifname @overlay_ifs ct status dnat ip daddr @cluster4 accept
    iifname != @bridges oifname @overlay_ifs ct status dnat ip6 daddr @cluster6 accept
    iifname @bridges jump from_network
    oifname @bridges jump to_network
    # Neither end is ours: the host is not an open router (pontond --forward-others).
    iifname != @owned_ifs oifname != @owned_ifs jump ${FORWARD_OTHERS_CHAIN}
    ${forwardRecordRules(recordInForward)}
  }
  chain input {
    # Workloads to this host. Before filter, though an accept here only ends this chain: a drop in
    # another table's input chain still wins, whatever its priority (docs/firewall.md).
    type filter hook input priority filter - 10; policy accept;
    ${INPUT_FORGED_RULE}
    ct state established,related,untracked accept
    iifname != @bridges accept
    ct state invalid goto drop_invalid
    # DNS on the gateway first: nothing below drops it.
    iifname . ip daddr . meta l4proto . th dport @gw_dns4 accept
    iifname . ip6 daddr . meta l4proto . th dport @gw_dns6 accept
    # Redirected to the L7 proxy (l7-chains.ts): the workload talks to a workload, not to the host.
    tcp dport @l7_listen ct status dnat accept
    # Handed to the L7 proxy by TPROXY after a service's or published port's DNAT (l7-chains.ts).
    ${L7_TPROXIED_ACCEPT}
    iifname @no_host_access goto drop_host_access
  }
  chain same_network {
    ct status dnat goto accepted
    iifname @icc_off_bridges goto drop_icc_off
    goto accepted
  }
  chain from_network {
    oifname @bridges jump between_networks
    iifname @internal_bridges goto drop_internal
  }
  chain between_networks {
    ct status dnat goto accepted
    iifname . oifname @routed goto accepted
    iifname . oifname @routed_ifs goto accepted
    goto drop_isolation
  }
  chain to_network {
    oifname @internal_bridges goto drop_internal
    ct status dnat goto accepted
    ip daddr . meta l4proto . th dport @direct4 goto accepted
    ip6 daddr . meta l4proto . th dport @direct6 goto accepted
    oifname @routed_gw_bridges meta l4proto { icmp, ipv6-icmp } goto accepted
    goto drop_not_published
  }
${flowLogChains(recordInForward)}
  chain nat_postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ct status dnat oifname @bridges ip saddr @subnets4 masquerade
    ct status dnat oifname @bridges ip6 saddr @subnets6 masquerade
    oifname @bridges ip saddr 127.0.0.0/8 masquerade
    # Pods keep their own addresses between nodes (no NAT inside the cluster ranges).
    ip saddr @cluster4 ip daddr @cluster4 accept
    ip6 saddr @cluster6 ip6 daddr @cluster6 accept
    # To another node's block from outside the cluster ranges (this host's own connections, NodePort,
    # a service reached from the host): with native routing from this node's gateway in that network
    # (overlay-source.ts; no element, no match), with VXLAN from its VTEP address. Either way an
    # address of its own block, which the other node admits and routes the reply back through here.
    oifname @overlay_ifs ip daddr @cluster4 snat ip to ip daddr map @overlay_src4
    oifname @overlay_ifs ip6 daddr @cluster6 snat ip6 to ip6 daddr map @overlay_src6
    ct status dnat oifname @overlay_ifs masquerade
    oifname != @bridges ip saddr @masq4 masquerade
    oifname != @bridges ip6 saddr @masq6 masquerade
  }
`;
