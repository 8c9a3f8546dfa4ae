// Pure: which addresses a standby takes over because their holder stopped beating. The holder puts
// its heartbeat key every renew interval; a standby that saw that key's mod revision unchanged for
// the whole stale interval takes the address in a transaction that compares both the address key's
// and the heartbeat key's mod revisions with what it saw, so a late beat (or a faster standby) wins.
// Unlike a lease's expiry this does not wait for etcd's minimum TTL (1.5 election timeouts, whole
// seconds: 2 s with etcd's defaults) nor for the leader's expiry sweep (every 500 ms).

/** A node's heartbeat key as last seen: its mod revision ("0": absent) and when it last changed (local monotonic ms). */
export interface BeatSeen {
  rev: string;
  at: number;
}

export interface Takeover {
  ip: string;
  holder: string;
  /** Mod revisions the transaction compares: the address key's and the holder's heartbeat key's. */
  addressRev: string;
  beatRev: string;
}

/** Addresses this node wants whose holder (another node) has not beaten for `staleMs`. */
export function staleTakeovers(me: string, wanted: Iterable<string>, holders: ReadonlyMap<string, { node: string; rev: string }>, beats: ReadonlyMap<string, BeatSeen>, now: number, staleMs: number): Takeover[] {
  const out: Takeover[] = [];
  for (const ip of wanted) {
    const h = holders.get(ip);
    if (!h || h.node === me) continue;
    const beat = beats.get(h.node);
    if (!beat || now - beat.at < staleMs) continue;
    out.push({ ip, holder: h.node, addressRev: h.rev, beatRev: beat.rev });
  }
  return out.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

/** A holder whose own last accepted beat was sent `staleMs` ago stops answering: standbys may have taken over by then. */
export const fenced = (lastBeatSentAt: number, now: number, staleMs: number): boolean => now - lastBeatSentAt >= staleMs;
