// The nft part of the L7 proxy (src/l7): new workload connections to a port guarded by HTTP rules
// pass the L3/L4 policy first, then are redirected to the proxy's listener for that address and
// port (on the receiving bridge's address; the kernel keeps the original destination in
// conntrack). A service address or a published port DNATs to such a port: after that DNAT, the
// same policy, then a mark routes the connection, every packet of it, to this host (l7-return.ts's
// routing table, where every address is local), where the proxy holds a transparent socket on
// that very address and port: no second NAT (TPROXY's socket assignment would not survive
// br_netfilter's early prerouting pass). IPv4 and IPv6 alike, each with its own sets. What
// reaches such a port by any other path (forwarded without either) is dropped: HTTP rules are
// never skipped. A routed network (a veth per workload, no bridge) is routed by this host anyway,
// and its veths have no IPv4 address to redirect to: its connections to a guarded port take the
// mark's way for every packet, to the proxy's transparent socket on the workload's address.
import { L7_PROXY_GID, L7_SETS, POLICY_ENTRY_CHAIN } from "../policy";
import { dropChain } from "./flow-log";
import { L7_DETOUR_IN, L7_RETURN_MARK } from "./l7-return";
import { ROUTED_IF_PREFIX } from "./names";

/** Every routed network's workload veth. */
const ROUTED = `iifname "${ROUTED_IF_PREFIX}*"`;

/** The input chain's accept for those connections (marked above) (a --no-host-access bridge's client too: it talks to a workload). */
export const L7_TPROXIED_ACCEPT = [
  `meta mark & ${L7_RETURN_MARK} == ${L7_RETURN_MARK} ct status dnat ip daddr . tcp dport @${L7_SETS.ports4} accept`,
  `meta mark & ${L7_RETURN_MARK} == ${L7_RETURN_MARK} ct status dnat ip6 daddr . tcp dport @${L7_SETS.ports6} accept`,
  `meta mark & ${L7_RETURN_MARK} == ${L7_RETURN_MARK} ${ROUTED} ip daddr . tcp dport @${L7_SETS.ports4} accept`,
  `meta mark & ${L7_RETURN_MARK} == ${L7_RETURN_MARK} ${ROUTED} ip6 daddr . tcp dport @${L7_SETS.ports6} accept`,
].join("\n    ");

/** Declared from the plan (nft-compile.ts), not in the fixed chains: a kernel without TPROXY would refuse them all. */
export const L7_EGRESS_TPROXY_CHAIN = "l7_egress_tproxy";
export const TPROXY_KERNEL_FEATURE = "CONFIG_NFT_TPROXY (nft_tproxy)";

/**
 * Rules of l7_egress_tproxy (gone to from l7_after_dnat for what arrives on the detour link). Egress:
 * the selected client's connections on a guarded port arrive on the detour link (l7-return.ts's
 * netdev table sends them there before any bridge: TPROXY's socket would not survive
 * br_netfilter), after the services' DNAT. A service's (DNATed) are dropped (not proxied), so are
 * those a destination's ingress rules guard too; the rest pass the L3/L4 policy, then TPROXY hands
 * them to the client's listener, whose socket keeps the original destination (IPv4 and IPv6), and
 * the mark routes every packet of them to this host. Without TPROXY in the kernel (egress HTTP
 * rules are refused then, engine/policy/policies.ts), whatever arrives there is dropped.
 */
export function l7EgressTproxyRules(tproxy: boolean): string[] {
  const proxied = [
    "ct status dnat goto drop_l7_bypass",
    `ip saddr . tcp dport @${L7_SETS.egress4} ip daddr . tcp dport @${L7_SETS.ports4} goto drop_l7_bypass`,
    `ip6 saddr . tcp dport @${L7_SETS.egress6} ip6 daddr . tcp dport @${L7_SETS.ports6} goto drop_l7_bypass`,
    `ct state new ip saddr . tcp dport @${L7_SETS.egress4} jump ${POLICY_ENTRY_CHAIN}`,
    `ct state new ip6 saddr . tcp dport @${L7_SETS.egress6} jump ${POLICY_ENTRY_CHAIN}`,
    `ip saddr . tcp dport @${L7_SETS.egress4} meta mark set ${L7_RETURN_MARK} tproxy ip to : ip saddr . tcp dport map @${L7_SETS.egressRedirect4} accept`,
    `ip6 saddr . tcp dport @${L7_SETS.egress6} meta mark set ${L7_RETURN_MARK} tproxy ip6 to : ip6 saddr . tcp dport map @${L7_SETS.egressRedirect6} accept`,
  ];
  // Nothing else is sent there.
  return [...(tproxy ? proxied : []), "goto drop_l7_bypass"];
}

/** One throwaway transaction (checked with `nft -c`, never committed): a TPROXY rule. */
export const TPROXY_PROBE = [
  "table inet ponton_tproxy_probe {",
  "  chain c {",
  "    type filter hook prerouting priority mangle; policy accept;",
  "    meta l4proto tcp tproxy ip to 127.0.0.1:1",
  "  }",
  "}",
  "",
].join("\n");

export const L7_CHAINS = `
${dropChain("l7Bypass")}
  chain l7_redirect {
    # Before the services' DNAT (dstnat): a connection to a workload's own address and port.
    type nat hook prerouting priority dstnat - 5; policy accept;
    # Guarded by both the client's egress rules and the destination's ingress rules: the proxy
    # would take it once, so one side's rules would be skipped — dropped instead.
    iifname @bridges ip saddr . tcp dport @${L7_SETS.egress4} ip daddr . tcp dport @${L7_SETS.ports4} goto drop_l7_bypass
    iifname @bridges ip daddr . tcp dport @${L7_SETS.ports4} jump ${POLICY_ENTRY_CHAIN}
    iifname @bridges ip6 daddr . tcp dport @${L7_SETS.ports6} jump ${POLICY_ENTRY_CHAIN}
    # A routed network's: no NAT, marked in l7_after_dnat.
    ${ROUTED} ip daddr . tcp dport @${L7_SETS.ports4} return
    ${ROUTED} ip6 daddr . tcp dport @${L7_SETS.ports6} return
    iifname @bridges meta l4proto tcp redirect to : ip daddr . tcp dport map @${L7_SETS.redirect4}
    iifname @bridges meta l4proto tcp redirect to : ip6 daddr . tcp dport map @${L7_SETS.redirect6}
  }
  chain l7_host {
    # This host's own connections to a guarded port (a client on the host, the egress proxy): to
    # the proxy as well (on loopback), except the proxy's own connections (its workers' group).
    # Before the services' DNAT: a connection to a workload's own address.
    type nat hook output priority -105; policy accept;
    meta skgid ${L7_PROXY_GID} return
    meta l4proto tcp redirect to : ip daddr . tcp dport map @${L7_SETS.redirect4}
    meta l4proto tcp redirect to : ip6 daddr . tcp dport map @${L7_SETS.redirect6}
  }
  chain l7_forward {
    # Anything reaching a guarded port by a path that was not proxied: dropped. Jumped to for new
    # connections before anything else of forward's, so a rule here never says accept.
    ip daddr . tcp dport @${L7_SETS.ports4} goto drop_l7_bypass
    ip6 daddr . tcp dport @${L7_SETS.ports6} goto drop_l7_bypass
    ip saddr . tcp dport @${L7_SETS.egress4} goto drop_l7_bypass
    ip6 saddr . tcp dport @${L7_SETS.egress6} goto drop_l7_bypass
  }
`;

/**
 * The L7 chains every packet would enter (filter and route hooks: established ones too), declared
 * only while some HTTP rule has a listener (NftPlan.l7InUse; a reload when that changes), so a
 * host without HTTP rules pays no hook for them (bench/dataplane/README.md).
 */
export const L7_AFTER_DNAT_CHAIN = `
  chain l7_after_dnat {
    type filter hook prerouting priority dstnat + 10; policy accept;
    iifname "${L7_DETOUR_IN}" goto ${L7_EGRESS_TPROXY_CHAIN}
    # From another node, to a workload of this one (l7-from-node.ts).
    iifname @overlay_ifs jump l7_from_node
    # Not this host's own (looped back by l7_host_after_dnat): the host is not policed at L3/L4.
    ct state new ct status dnat iif != lo ip daddr . tcp dport @${L7_SETS.ports4} jump ${POLICY_ENTRY_CHAIN}
    ct status dnat ip daddr . tcp dport @${L7_SETS.ports4} meta mark set ${L7_RETURN_MARK}
    ct state new ct status dnat iif != lo ip6 daddr . tcp dport @${L7_SETS.ports6} jump ${POLICY_ENTRY_CHAIN}
    ct status dnat ip6 daddr . tcp dport @${L7_SETS.ports6} meta mark set ${L7_RETURN_MARK}
    # A routed network's connection to the workload's own address (its policy passed in l7_redirect).
    ${ROUTED} ip daddr . tcp dport @${L7_SETS.ports4} meta mark set ${L7_RETURN_MARK}
    ${ROUTED} ip6 daddr . tcp dport @${L7_SETS.ports6} meta mark set ${L7_RETURN_MARK}
  }
`;

export const L7_PACKET_HOOKS = `${L7_AFTER_DNAT_CHAIN}
  chain l7_host_after_dnat {
    # A service address or this host's published port (a NodePort hairpin): after its DNAT, every
    # packet routed to this host, where the proxy's transparent socket on that address takes it.
    type route hook output priority -90; policy accept;
    meta skgid ${L7_PROXY_GID} return
    ct status dnat ip daddr . tcp dport @${L7_SETS.ports4} meta mark set ${L7_RETURN_MARK}
    ct status dnat ip6 daddr . tcp dport @${L7_SETS.ports6} meta mark set ${L7_RETURN_MARK}
  }
  chain l7_input {
    # The listeners take redirected connections only, never one addressed to them.
    type filter hook input priority filter - 20; policy accept;
    tcp dport @${L7_SETS.listen} ct status dnat accept
    tcp dport @${L7_SETS.listen} goto drop_l7_bypass
  }
`;
