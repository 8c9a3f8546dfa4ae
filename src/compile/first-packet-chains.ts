// The checks that used to cost every forwarded packet a hooked filter chain of their own
// (`filter_prerouting`, `flow_log`: bench/dataplane "Fewer hooks per packet"). Each now runs where
// it sees exactly the packets it must:
// - a new connection's checks before DNAT sit in a nat chain: the kernel enters a nat chain with a
//   connection's first packet only (established packets are translated by the NAT core without
//   entering any chain), so they cost nothing per established packet;
// - the flow record of a forwarded connection is written in forward itself, at each accept of ours
//   and at its end (established packets are accepted before either), unless the user hook holds a
//   rule: its accept ends forward, so then the separate flow_log chain after forward stays;
// - the forged-127/8 drop sits where such a packet is delivered (input) or, DNATed away, forwarded.
import { DROP_REASONS, FLOW_RECORD_CHAIN } from "./flow-log";

const FORGED = DROP_REASONS.forgedLocalhost.chain;

/**
 * First in forward, so before the user hook as before: a packet from a workload interface that
 * belongs to a connection made to 127.0.0.0/8 in this direction (a forged packet another table
 * DNATed away, or one matching a host loopback connection we DNATed to a workload). ::1 needs no
 * rule: the kernel drops a packet to ::1 that arrives on any interface but lo.
 */
export const FORWARD_FORGED_RULE = `ct original ip daddr 127.0.0.0/8 ct direction original iifname @bridges goto ${FORGED}`;

/** First in input: route_localnet (on for our bridges) delivers a workload's packet to 127/8 here. */
export const INPUT_FORGED_RULE = "ip daddr 127.0.0.0/8 iifname @bridges jump check_localhost";

/**
 * Told apart by the address the packet arrived with, before NAT (conntrack's tuple of its own
 * direction): the reply of a host 127.0.0.1 connection to a published port (DNATed to the workload,
 * SNATed to the gateway) came to the gateway and was de-NATed to 127.0.0.1. A forged packet came to
 * 127/8, whether it opens a connection or matches the reply of a host loopback one; without a
 * connection (invalid, untracked) nothing was translated, so it came to 127/8 too.
 */
export const CHECK_LOCALHOST_CHAIN = `  chain check_localhost {
    ct direction original ct original ip daddr != 127.0.0.0/8 return
    ct direction reply ct reply ip daddr != 127.0.0.0/8 return
    goto ${FORGED}
  }`;

/**
 * A new connection's checks before DNAT: the published ports' --allow-from and the services'
 * no-endpoint reject. Before every nat chain of ours (l7_redirect dstnat - 5, nat_prerouting
 * dstnat) and of tables at the default priority: a nat chain that translates first would end the
 * NAT core's walk.
 */
export const PREROUTING_NEW_CHAIN = `  chain prerouting_new {
    type nat hook prerouting priority dstnat - 10; policy accept;
    # Also entered by a related connection's first packet, which the checks never covered.
    ct state != new return
    meta l4proto . th dport @pub_restricted fib daddr type local jump check_allow_from
    # A service with no ready endpoint refuses at once instead of timing out.
    ip daddr . meta l4proto . th dport @svc_noep jump svc_reject
    ip6 daddr . meta l4proto . th dport @svc_noep6 jump svc_reject
    meta nfproto ipv4 meta l4proto . th dport @svc_noep_ports fib daddr type local jump svc_reject
    meta nfproto ipv6 meta l4proto . th dport @svc_noep_ports6 fib daddr type local jump svc_reject
  }`;

/** Where forward's and its sub-chains' accepts go: the flow record first (in forward's layout). */
export function acceptedChain(recordInForward: boolean): string {
  return ["  chain accepted {", ...(recordInForward ? [`    ct state new jump ${FLOW_RECORD_CHAIN}`] : []), "    accept", "  }"].join("\n");
}

/** Last in forward: what no rule accepted or dropped is accepted by the chain's policy, recorded here. */
export function forwardRecordRules(recordInForward: boolean): string {
  return recordInForward ? FLOW_LOG_RULES.join("\n    ") : "# Flow records: flow_log (the user hook holds a rule).";
}

// Each new connection through a workload interface (as input or output), once.
const FLOW_LOG_RULES = [`ct state new iifname @bridges jump ${FLOW_RECORD_CHAIN}`, `ct state new oifname @bridges iifname != @bridges jump ${FLOW_RECORD_CHAIN}`];

/**
 * flow_log (filter + 10, after forward: what reaches it was let through), only while the user hook
 * holds a rule, and the host's own connections to and from a workload, which never cross forward
 * (input and output are not on the forwarding path).
 */
export function flowLogChains(recordInForward: boolean): string {
  const forward = `  chain flow_log {
    type filter hook forward priority filter + 10; policy accept;
    ${FLOW_LOG_RULES.join("\n    ")}
  }
`;
  return `${recordInForward ? "" : forward}  chain flow_log_host_in {
    type filter hook input priority filter + 10; policy accept;
    ct state new iifname @bridges jump ${FLOW_RECORD_CHAIN}
  }
  chain flow_log_host_out {
    type filter hook output priority filter + 10; policy accept;
    ct state new oifname @bridges jump ${FLOW_RECORD_CHAIN}
  }`;
}
