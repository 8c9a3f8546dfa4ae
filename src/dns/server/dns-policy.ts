// What the server asks of a per-client DNS policy (the engine's CiliumNetworkPolicy rules.dns and
// toFQDNs). A watched client's queries all take the JS path: the native listener threads never
// learn its view, so they hand its queries over (see udp-loop.cc: an unknown client goes to JS).

export interface DnsPolicyHook {
  /** Does a policy police or learn from this client's queries? */
  watches(clientAddress: string): boolean;
  /** May the client resolve this name (normalized)? false: the server answers REFUSED. */
  allows(clientAddress: string, name: string, type: string): boolean;
  /**
   * An answer to a watched client is about to leave. Resolves once the kernel lets the client reach
   * the answer's addresses (toFQDNs), so the connect right after the answer is never dropped;
   * rejects when that write failed (the server answers SERVFAIL: the addresses are not reachable).
   */
  answered(clientAddress: string, name: string, type: string, response: Buffer): Promise<void> | void;
}
