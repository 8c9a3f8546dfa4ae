// DNS queries per second from the daemon's running total (/v1/info dns.counters.queries), between
// two polls; none before the second poll, and none across a daemon restart (the total went down).

export interface QuerySample {
  queries: number;
  at: number;
}

export function queryRate(prev: QuerySample | undefined, next: QuerySample): number {
  if (!prev || next.at <= prev.at || next.queries < prev.queries) return 0;
  return ((next.queries - prev.queries) * 1000) / (next.at - prev.at);
}
