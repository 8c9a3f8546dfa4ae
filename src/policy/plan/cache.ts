import type { Interval } from "./intervals";
import type { NetworkPolicy, PolicyWorld, WorldWorkload } from "../types";
import { indexWorld, type WorldIndex } from "../world";
import { policyReached, worldChange } from "./world-delta";

// What one compile keeps for the next, so a policy change recompiles only what it touches
// (issue 18, "Faster policy changes"). Everything is keyed by content, never by position:
//  - a policy's *version*: a number per distinct policy text (same text, same number);
//  - the world's index, rule peer addresses and each namespace's subjects and element blocks, made
//    for one world (workloads, their labels, addresses and ports; namespaces and their labels) —
//    when it changes, only what the changed workloads can reach is dropped (world-delta.ts): the
//    namespaces they are in, and the policies whose peers select them.
// A compile with a cache returns exactly what one without returns (compile.test.ts checks that
// after series of changes); the cache only decides what is computed again.

/** One subject's elements in one map, for one of its addresses: already sorted. */
export interface Block {
  map: string;
  addr: bigint;
  elements: string[];
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

function sameWorkload(a: WorldWorkload, b: WorldWorkload): boolean {
  return a.name === b.name && a.namespace === b.namespace && a.node === b.node && sameRecord(a.labels, b.labels)
    && a.ips.length === b.ips.length && a.ips.every((ip, i) => ip === b.ips[i])
    && a.ports.length === b.ports.length && a.ports.every((p, i) => p.port === b.ports[i]!.port && p.protocol === b.ports[i]!.protocol && p.name === b.ports[i]!.name);
}

/** Field by field (cheaper than serializing 1,000 workloads on every change). */
export function sameWorld(a: PolicyWorld, b: PolicyWorld): boolean {
  if (a === b) return true;
  if (a.namespaces.length !== b.namespaces.length || a.workloads.length !== b.workloads.length) return false;
  return a.namespaces.every((n, i) => n.name === b.namespaces[i]!.name && sameRecord(n.labels, b.namespaces[i]!.labels))
    && a.workloads.every((w, i) => sameWorkload(w, b.workloads[i]!));
}

export class PolicyCompileCache {
  private world: PolicyWorld | undefined;
  /** The world's index while the world is unchanged. */
  index: WorldIndex | undefined;
  /** Rule peer addresses by (policy version, direction, rule, family). */
  peers = new Map<string, Interval[]>();
  /** A namespace's element blocks by its candidate policies' versions and how ids were allocated. */
  blocks = new Map<string, unknown>();
  /** Subjects of one namespace by its candidate policies' versions. */
  subjects = new Map<string, unknown>();
  /** FNV hashes of id keys (pure; bounded: cleared past 100,000). */
  hashes = new Map<string, number>();
  private versions = new Map<string, number>();
  /** The policy each version stands for (a world change tests its peers). */
  private policyOf = new Map<number, NetworkPolicy>();
  /** After a world change: the index of the world the caches were made for, until indexFor() runs. */
  private stale: WorldIndex | undefined;
  private readonly textOf = new WeakMap<NetworkPolicy, string>();
  private next = 1;
  /** What this compile used: the next compile keeps only these (no growth over a long run). */
  private used = { blocks: new Set<string>(), subjects: new Set<string>(), versions: new Set<string>(), peers: new Set<string>() };

  /** Starts a compile over `world` (indexFor() drops what a world change reaches). */
  begin(world: PolicyWorld): void {
    if (!this.world || !sameWorld(this.world, world)) {
      // The caches are still those of `stale`'s world (a world that failed to index left them as they were).
      this.stale = this.index ?? this.stale;
      this.index = undefined;
    }
    this.world = world;
    this.used = { blocks: new Set(), subjects: new Set(), versions: new Set(), peers: new Set() };
  }

  /** The world's index; the first call after a world change keeps only what the change cannot reach. */
  indexFor(world: PolicyWorld): WorldIndex {
    if (this.index) return this.index;
    const index = indexWorld(world);
    const before = this.stale;
    this.stale = undefined;
    if (!before) {
      this.peers = new Map();
      this.blocks = new Map();
      this.subjects = new Map();
    } else {
      const change = worldChange(before, index);
      const reached = new Set<number>();
      for (const [v, p] of this.policyOf) if (policyReached(p, change)) reached.add(v);
      const keep = (key: string) => !change.namespaces.has(key.slice(0, key.indexOf("\t"))) && !key.split("\t")[1]!.split(",").some((v) => reached.has(Number(v)));
      for (const k of this.subjects.keys()) if (!keep(k)) this.subjects.delete(k);
      for (const k of this.blocks.keys()) if (!keep(k)) this.blocks.delete(k);
      for (const k of this.peers.keys()) {
        const head = k.slice(0, k.indexOf(":"));
        if (head === "workloads" ? change.addrs : reached.has(Number(head))) this.peers.delete(k);
      }
    }
    return (this.index = index);
  }

  /** A small number standing for the policy's whole text. */
  version(p: NetworkPolicy): number {
    let text = this.textOf.get(p);
    if (text === undefined) {
      text = JSON.stringify(p);
      this.textOf.set(p, text);
    }
    this.used.versions.add(text);
    let v = this.versions.get(text);
    if (v === undefined) this.versions.set(text, (v = this.next++));
    this.policyOf.set(v, p);
    return v;
  }

  peer(key: string, make: () => Interval[]): Interval[] {
    this.used.peers.add(key);
    let hit = this.peers.get(key);
    if (!hit) this.peers.set(key, (hit = make()));
    return hit;
  }

  block<T>(key: string, make: () => T): T {
    this.used.blocks.add(key);
    let hit = this.blocks.get(key) as T | undefined;
    if (hit === undefined) this.blocks.set(key, (hit = make()));
    return hit;
  }

  subjectsOf<T>(key: string, make: () => T): T {
    this.used.subjects.add(key);
    let hit = this.subjects.get(key) as T | undefined;
    if (hit === undefined) this.subjects.set(key, (hit = make()));
    return hit;
  }

  /** A map's elements by the block objects they were joined from (the last compile's only). */
  private joins = new Map<string, { blocks: Block[]; elements: string[] }>();
  /** The same blocks in the same order give the same array: a diff against the last plan skips the map by identity. */
  joined(map: string, blocks: Block[], make: () => string[]): string[] {
    const had = this.joins.get(map);
    if (had && had.blocks.length === blocks.length && had.blocks.every((b, i) => b === blocks[i])) return had.elements;
    const elements = make();
    this.joins.set(map, { blocks, elements });
    return elements;
  }

  /** Ends a compile: drops what it did not use (no growth over a long run of changes). */
  end(): void {
    for (const k of this.peers.keys()) if (!this.used.peers.has(k)) this.peers.delete(k);
    for (const k of this.blocks.keys()) if (!this.used.blocks.has(k)) this.blocks.delete(k);
    for (const k of this.subjects.keys()) if (!this.used.subjects.has(k)) this.subjects.delete(k);
    for (const [k, v] of this.versions) if (!this.used.versions.has(k)) (this.versions.delete(k), this.policyOf.delete(v));
    if (this.hashes.size > 100_000) this.hashes.clear();
  }
}
