// The page's flow buffer: records in sequence order, each once, the newest `cap` kept. The first
// page of flows arrives before the whole buffer (a fast first render), and live events may overlap
// either, so every arrival is merged by sequence number.
export interface Sequenced {
  seq: number;
}

export function mergeFlows<T extends Sequenced>(current: readonly T[], incoming: readonly T[], cap: number): T[] {
  if (incoming.length === 0) return current as T[];
  const last = current.at(-1)?.seq ?? -Infinity;
  let merged: T[];
  if (incoming[0]!.seq > last && isSorted(incoming)) {
    merged = current.concat(incoming);
  } else {
    const bySeq = new Map<number, T>();
    for (const f of current) bySeq.set(f.seq, f);
    for (const f of incoming) if (!bySeq.has(f.seq)) bySeq.set(f.seq, f);
    merged = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
  return merged.length > cap ? merged.slice(merged.length - cap) : merged;
}

function isSorted(xs: readonly Sequenced[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i]!.seq <= xs[i - 1]!.seq) return false;
  return true;
}
