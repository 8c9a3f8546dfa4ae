// What the DNS server was given, per view and name, so that a change sends only the names it
// touched: at 10,000 services a view holds 30,000 records, and one service adds or removes three.
// A view is its workloads' records followed by every service's records (dnsViews' order); a
// name's records keep that order, so the server answers byte for byte as if the view were set whole.
import type { DnsRecord } from "../../dns";

/** Records every view lists after its own, in groups (one per service), in list order. */
export interface SharedGroups<G extends object> {
  list: readonly G[];
  records(group: G): readonly DnsRecord[];
  /** The records depend on the group object alone: the same object is not asked again. */
  fixed(group: G): boolean;
}

export interface ViewChanges {
  /** Views not sent before: every record, in order. */
  created: Map<string, DnsRecord[]>;
  /** Sent views that changed: the names whose records changed -> all their records now ([] = gone). */
  updated: Map<string, Map<string, DnsRecord[]>>;
}

/** Each view's own records as an index keeps them (DnsOwnIndex). */
export interface OwnSource {
  views(): Iterable<string>;
  viewRecords(view: string): DnsRecord[];
  nameRecords(view: string, name: string): DnsRecord[];
}

interface Sent<G> {
  group: G;
  records: readonly DnsRecord[];
  fixed: boolean;
  /** Its place in the list last sent, set only while a sync walks past it out of step. */
  pos: number;
  /** The sync that last listed it out of step (known, moved): an older one among those passed over means it is gone. */
  seen: number;
  /** The sync that made it (its records were asked then). */
  made: number;
}

export class SentViews<G extends object> {
  /** View -> name -> that view's own (workload) records of the name. */
  private own = new Map<string, Map<string, DnsRecord[]>>();
  /** The groups last sent, in order, and the same by identity. */
  private list: readonly G[] = [];
  private sent: Sent<G>[] = [];
  private readonly known = new Map<G, Sent<G>>();
  /** Name -> the group holding records of it, or the groups when several do (rare: a Set each would cost). */
  private readonly groupsOf = new Map<string, Sent<G> | Set<Sent<G>>>();
  private generation = 0;
  /** Groups whose records depend on more than the group: asked again every sync (none: the same list means the same records). */
  private readonly unfixed = new Set<Sent<G>>();

  /** nextShared(); a group's records that throw halfway through start it over (every view is sent whole next time). */
  private sharedOrReset(shared: SharedGroups<G>): Set<string> {
    try {
      return this.nextShared(shared);
    } catch (err) {
      this.reset();
      throw err;
    }
  }

  /** The changes from what was sent to this content. `own`: each view's workload records, in order (views missing here are forgotten). */
  next(own: ReadonlyMap<string, readonly DnsRecord[]>, shared: SharedGroups<G>): ViewChanges {
    const sharedChanged = this.sharedOrReset(shared);
    const changes: ViewChanges = { created: new Map(), updated: new Map() };
    const nextOwn = new Map<string, Map<string, DnsRecord[]>>();
    for (const [view, records] of own) {
      const byName = groupByName(records);
      nextOwn.set(view, byName);
      const before = this.own.get(view);
      if (!before) {
        changes.created.set(view, [...records, ...this.sent.flatMap((s) => s.records)]);
        continue;
      }
      const names = new Set(sharedChanged);
      for (const [name, list] of byName) if (!sameRecords(before.get(name) ?? [], list)) names.add(name);
      for (const name of before.keys()) if (!byName.has(name)) names.add(name);
      if (names.size === 0) continue;
      const update = new Map<string, DnsRecord[]>();
      for (const name of names) update.set(name, [...(byName.get(name) ?? []), ...this.sharedRecords(name)]);
      changes.updated.set(view, update);
    }
    this.own = nextOwn;
    return changes;
  }

  /**
   * The same changes as next(), from an index that says which names of which views it touched
   * (dns-own-index.ts): only those names are compared, not every view's every record.
   */
  nextTouched(own: OwnSource, touched: ReadonlyMap<string, ReadonlySet<string>>, shared: SharedGroups<G>): ViewChanges {
    const sharedChanged = this.sharedOrReset(shared);
    const changes: ViewChanges = { created: new Map(), updated: new Map() };
    const views = new Set(own.views());
    for (const view of this.own.keys()) if (!views.has(view)) this.own.delete(view);
    for (const view of views) {
      const before = this.own.get(view);
      if (!before) {
        const records = own.viewRecords(view);
        this.own.set(view, groupByName(records));
        changes.created.set(view, [...records, ...this.sent.flatMap((s) => s.records)]);
        continue;
      }
      const names = new Set(sharedChanged);
      for (const name of touched.get(view) ?? []) {
        const list = own.nameRecords(view, name);
        if (!sameRecords(before.get(name) ?? [], list)) names.add(name);
        if (list.length) before.set(name, list);
        else before.delete(name);
      }
      if (names.size === 0) continue;
      const update = new Map<string, DnsRecord[]>();
      for (const name of names) update.set(name, [...(before.get(name) ?? []), ...this.sharedRecords(name)]);
      changes.updated.set(view, update);
    }
    return changes;
  }

  /** The server lost this view (a failed update): it is sent whole next time. */
  forget(view: string): void {
    this.own.delete(view);
  }

  private reset(): void {
    this.own.clear();
    this.list = [];
    this.sent = [];
    this.known.clear();
    this.groupsOf.clear();
    this.unfixed.clear();
  }

  /**
   * Takes the new groups; returns the names whose shared records changed. Groups that stay keep
   * their order, so both lists are walked side by side comparing the groups' identities only: a
   * group in step is not read at all (at 6,000 pod groups, reading each kept record was 5% of
   * pontond's time per creation), only what differs is looked up (frozen objects are slow Map keys:
   * 10,000 lookups cost a millisecond), only new groups and those whose records are not fixed are
   * asked for their records. Every group is listed once.
   */
  private nextShared(shared: SharedGroups<G>): Set<string> {
    const changed = new Set<string>();
    if (shared.list === this.list && this.unfixed.size === 0) return changed;
    const gen = ++this.generation;
    const before = this.sent;
    const old = this.list;
    const list = shared.list;
    const sent: Sent<G>[] = new Array(list.length);
    /** Groups of the old list passed over: gone unless listed elsewhere. */
    const passed: Sent<G>[] = [];
    let j = 0;
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (j < old.length && old[j] === g) {
        sent[i] = before[j++]!;
        continue;
      }
      let s = this.known.get(g);
      if (s) {
        // Its place in the old list: ahead (groups before it were removed or moved back), or behind.
        const at = old.indexOf(g, j);
        // Moved back (passed over already): its names may now list its records in another order.
        if (at < 0) for (const r of s.records) changed.add(r.name);
        // Moved forward past groups removed (or moved back, which report then).
        else for (; j <= at; j++) if (before[j] !== s) passed.push(before[j]!);
      } else {
        s = { group: g, records: shared.records(g), fixed: shared.fixed(g), pos: i, seen: gen, made: gen };
        this.known.set(g, s);
        if (!s.fixed) this.unfixed.add(s);
        this.index(s, 1, changed);
      }
      s.seen = gen;
      sent[i] = s;
    }
    for (; j < old.length; j++) passed.push(before[j]!);
    for (const s of passed) {
      if (s.seen === gen) continue;
      this.known.delete(s.group);
      this.unfixed.delete(s);
      this.index(s, -1, changed);
    }
    // Records that depend on more than the group (a headless service's ready endpoints): asked again.
    for (const s of this.unfixed) {
      if (s.made === gen) continue;
      const records = shared.records(s.group);
      if (!sameRecords(s.records, records)) {
        this.index(s, -1, changed);
        s.records = records;
        this.index(s, 1, changed);
      }
    }
    this.list = list;
    this.sent = sent;
    return changed;
  }

  private index(s: Sent<G>, by: 1 | -1, changed: Set<string>): void {
    for (const r of s.records) {
      changed.add(r.name);
      const held = this.groupsOf.get(r.name);
      if (by === 1) {
        if (held === undefined || held === s) this.groupsOf.set(r.name, s);
        else if (held instanceof Set) held.add(s);
        else this.groupsOf.set(r.name, new Set([held, s]));
      } else if (held === s) {
        this.groupsOf.delete(r.name);
      } else if (held instanceof Set && held.delete(s) && held.size === 1) {
        this.groupsOf.set(r.name, held.values().next().value!);
      }
    }
  }

  private sharedRecords(name: string): DnsRecord[] {
    const held = this.groupsOf.get(name);
    if (held === undefined) return [];
    if (!(held instanceof Set)) return recordsOfName(held.records, name);
    // Several groups hold the name (rare): their places in the list, not kept per group (a group in step is not written).
    for (const s of held) s.pos = this.sent.indexOf(s);
    return [...held].sort((a, b) => a.pos - b.pos).flatMap((s) => recordsOfName(s.records, name));
  }
}

/** Same records, in the same order (services' records are the same objects between syncs). */
function sameRecords(a: readonly DnsRecord[], b: readonly DnsRecord[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x.name !== y.name || x.type !== y.type || x.ttl !== y.ttl) return false;
    if (x.data !== y.data && JSON.stringify(x.data) !== JSON.stringify(y.data)) return false;
  }
  return true;
}

function groupByName(records: readonly DnsRecord[]): Map<string, DnsRecord[]> {
  const byName = new Map<string, DnsRecord[]>();
  for (const r of records) {
    const list = byName.get(r.name);
    if (list) list.push(r);
    else byName.set(r.name, [r]);
  }
  return byName;
}

/** A group's records by name, once per records array (a headless service may hold thousands). */
const namesOfGroup = new WeakMap<readonly DnsRecord[], Map<string, DnsRecord[]>>();

function recordsOfName(records: readonly DnsRecord[], name: string): DnsRecord[] {
  if (records.length <= 8) return records.filter((r) => r.name === name);
  let byName = namesOfGroup.get(records);
  if (!byName) namesOfGroup.set(records, (byName = groupByName(records)));
  return byName.get(name) ?? [];
}
