// Monotonic counters for metrics. Plain numbers on one object: incrementing is the hot path.

export interface DnsCounters {
  /** Every packet received, UDP and TCP, valid or not. */
  queries: number;
  tcpQueries: number;
  /** Answered from the views (any rcode), including the precomputed fast path. */
  answeredLocally: number;
  /** Of those, sent by the native listener threads without entering JS. */
  answeredNatively: number;
  /** Local answers that were NXDOMAIN. */
  nxdomain: number;
  /** Sent on the forwarding path (answered from cache, joined, or upstream). */
  forwarded: number;
  cacheHits: number;
  /** Joined an identical query already in flight upstream. */
  deduplicated: number;
  /** Messages actually sent to upstream servers. */
  upstreamQueries: number;
  servfail: number;
  formerr: number;
  notimp: number;
  /** Clients outside the networks a listener serves (UDP answered REFUSED, TCP closed), and queries a sealed (--internal) network may not forward. */
  refused: number;
  /** Of those, names a client's DNS policy (CiliumNetworkPolicy rules.dns) does not allow. */
  policyRefused: number;
  /** UDP answers cut to the whole records that fit, TC=1, because they exceed the client's size. */
  truncated: number;
  /** Packets ignored: shorter than a header, or responses. */
  dropped: number;
  /** Unexpected exceptions while handling a packet (the packet is dropped, the server goes on). */
  errors: number;
}

export function zeroCounters(): DnsCounters {
  return {
    queries: 0,
    tcpQueries: 0,
    answeredLocally: 0,
    answeredNatively: 0,
    nxdomain: 0,
    forwarded: 0,
    cacheHits: 0,
    deduplicated: 0,
    upstreamQueries: 0,
    servfail: 0,
    formerr: 0,
    notimp: 0,
    refused: 0,
    policyRefused: 0,
    truncated: 0,
    dropped: 0,
    errors: 0,
  };
}
