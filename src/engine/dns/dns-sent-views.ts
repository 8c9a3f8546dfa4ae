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
  /**
   * Optional: the list is `head` then `tail`, and an index that keeps the tail says what changed in
   * it since the tail it handed out before (`base`): then the tail is not walked. No group is ever in
   * both parts; the tail's other groups keep their order.
   */
  parts?: SharedParts<G>;
}

export interface SharedParts<G> {
  head: readonly G[];
  tail: readonly G[];
  /** The tail this one was made from; undefined: unknown (the tail is walked). */
  base: readonly G[] | undefined;
  removed: ReadonlySet<G>;
  added: ReadonlySet<G>;
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
  /** Its place in the list, set where it is needed (several groups of one name). */
  pos: number;
  /** The sync that last listed it out of step (known, moved): an older one among those passed over means it is gone. */
  seen: number;
  /** The sync that made it (its records were asked then). */
  made: number;
}

const NONE: readonly never[] = Object.freeze([]);

export class SentViews<G extends object> {
  /** View -> name -> that view's own (workload) records of the name. */
  private own = new Map<string, Map<string, DnsRecord[]>>();
  /** The groups last sent, in order (the head, then the tail: SharedParts), the whole list when it was built, and each group's by identity. */
  private head: readonly G[] = NONE;
  private tail: readonly G[] = NONE;
  private whole: readonly G[] | undefined = NONE;
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
        changes.created.set(view, [...records, ...this.sharedAll()]);
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
        changes.created.set(view, [...records, ...this.sharedAll()]);
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
    this.head = this.tail = this.whole = NONE;
    this.known.clear();
    this.groupsOf.clear();
    this.unfixed.clear();
  }

  /** Every shared record, in list order (a view sent whole). */
  private sharedAll(): DnsRecord[] {
    return this.wholeList().flatMap((g) => this.known.get(g)!.records);
  }

  private wholeList(): readonly G[] {
    return (this.whole ??= [...this.head, ...this.tail]);
  }

  /**
   * Takes the new groups; returns the names whose shared records changed. A tail an index says what
   * changed in (SharedParts) is not walked: its removed and added groups are all there is. Otherwise
   * groups that stay keep their order, so both lists are walked side by side comparing the groups'
   * identities only: a group in step is not read at all (at 6,000 pod groups, reading each was 5% of
   * pontond's time per creation); only what differs is looked up (frozen objects are slow Map keys:
   * 10,000 lookups cost a millisecond), only new groups and those whose records are not fixed are
   * asked for their records. Every group is listed once.
   */
  private nextShared(shared: SharedGroups<G>): Set<string> {
    const changed = new Set<string>();
    const parts = shared.parts;
    if (!parts && shared.list === this.whole && this.unfixed.size === 0) return changed;
    const gen = ++this.generation;
    if (parts && parts.base !== undefined && parts.base === this.tail && this.deltaApplies(parts)) {
      this.walk(this.head, parts.head, shared, gen, changed);
      for (const g of parts.removed) this.drop(this.known.get(g)!, changed);
      for (const g of parts.added) this.add(g, shared, gen, changed);
      this.head = parts.head;
      this.tail = parts.tail;
      this.whole = undefined;
    } else {
      const list = shared.list;
      this.walk(this.wholeList(), list, shared, gen, changed);
      this.head = parts ? parts.head : list;
      this.tail = parts ? parts.tail : NONE;
      this.whole = list;
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
    return changed;
  }

  /** The tail's delta fits what was sent (checked before anything moves): what it removes was sent, what it adds was not. */
  private deltaApplies(parts: SharedParts<G>): boolean {
    for (const g of parts.removed) if (!this.known.has(g)) return false;
    for (const g of parts.added) if (this.known.has(g) && !parts.removed.has(g)) return false;
    return true;
  }

  /** Walks the old list and the new side by side (see nextShared): groups passed over and not listed again go. */
  private walk(old: readonly G[], list: readonly G[], shared: SharedGroups<G>, gen: number, changed: Set<string>): void {
    /** Groups of the old list passed over: gone unless listed elsewhere. */
    const passed: Sent<G>[] = [];
    let j = 0;
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (j < old.length && old[j] === g) {
        j++;
        continue;
      }
      const s = this.known.get(g);
      if (!s) {
        this.add(g, shared, gen, changed);
        continue;
      }
      // Its place in the old list: ahead (groups before it were removed or moved back), or behind.
      const at = old.indexOf(g, j);
      // Moved back (passed over already): its names may now list its records in another order.
      if (at < 0) for (const r of s.records) changed.add(r.name);
      // Moved forward past groups removed (or moved back, which report then).
      else for (; j <= at; j++) if (old[j] !== g) passed.push(this.known.get(old[j]!)!);
      s.seen = gen;
    }
    for (; j < old.length; j++) passed.push(this.known.get(old[j]!)!);
    for (const s of passed) if (s.seen !== gen) this.drop(s, changed);
  }

  private add(g: G, shared: SharedGroups<G>, gen: number, changed: Set<string>): void {
    const s: Sent<G> = { group: g, records: shared.records(g), fixed: shared.fixed(g), pos: 0, seen: gen, made: gen };
    this.known.set(g, s);
    if (!s.fixed) this.unfixed.add(s);
    this.index(s, 1, changed);
  }

  private drop(s: Sent<G>, changed: Set<string>): void {
    this.known.delete(s.group);
    this.unfixed.delete(s);
    this.index(s, -1, changed);
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
    const list = this.wholeList();
    for (const s of held) s.pos = list.indexOf(s.group);
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
