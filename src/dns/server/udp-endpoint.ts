// The UDP half of a listener, whichever socket serves it: Node's dgram (every query enters JS)
// or the native fast path (only misses enter JS).

/** One query that reached JS; `reply` sends to its sender, `peer` is set on the native path. */
export type UdpQueryHandler = (msg: Buffer, clientAddress: string, reply: (response: Buffer) => void, peer: Buffer | undefined) => void;

export interface UdpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Binds one address (port 0 picks one); rejects with the socket error. `clients` (prefixes, or
 * undefined for any) lets the native path refuse outsiders before JS; JS checks them too.
 */
export type UdpOpener = (address: string, port: number, onQuery: UdpQueryHandler, clients?: readonly string[]) => Promise<UdpEndpoint>;
