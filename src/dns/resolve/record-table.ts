// Views: each network sees only its own records. A view is set whole when it appears; after that
// the engine replaces only the names whose records changed (10,000 services = 30,000 records per
// view), and listeners learn which names, so cached answers of the others stay. Lookups are a
// single Map.get.
import { type DnsRecord, type RecordType, validateRecord } from "./records";

/** Every record one name holds in one view, grouped by type. */
export interface NameEntry {
  byType: Map<RecordType, DnsRecord[]>;
  all: DnsRecord[];
}

interface View {
  names: Map<string, NameEntry>;
  /**
   * Empty non-terminals (ancestors of a name that hold no record): NODATA, not NXDOMAIN (RFC 8020).
   * Each counts its children that are names or ancestors, so adding or removing a name walks up
   * only until an ancestor that stays (one step for most names: their parent is shared).
   */
  ancestors: Map<string, number>;
}

/** The names whose answers may have changed; undefined: every name of the view. */
export type ChangeListener = (viewId: string, names: ReadonlySet<string> | undefined) => void;

export class RecordTable {
  private readonly views = new Map<string, View>();
  private readonly listeners: ChangeListener[] = [];

  /** Replaces the records of one view; validates all before changing anything. */
  setView(viewId: string, records: readonly DnsRecord[]): void {
    for (const r of records) validateRecord(r);
    const view: View = { names: new Map(), ancestors: new Map() };
    for (const r of records) {
      let e = view.names.get(r.name);
      if (!e) {
        view.names.set(r.name, (e = { byType: new Map(), all: [] }));
        if (!view.ancestors.has(r.name)) countParents(view, r.name, 1);
      }
      addTo(e, r);
    }
    this.views.set(viewId, view);
    this.changed(viewId, undefined);
  }

  /**
   * Replaces the records of the given names only (an empty list removes the name), each list in
   * the order setView would have kept; validates all before changing anything. A missing view is
   * created.
   */
  updateNames(viewId: string, changes: ReadonlyMap<string, readonly DnsRecord[]>): void {
    for (const [name, records] of changes) {
      for (const r of records) {
        validateRecord(r);
        if (r.name !== name) throw new Error(`dns record ${r.name} ${r.type}: listed under ${name}`);
      }
    }
    let view = this.views.get(viewId);
    if (!view) this.views.set(viewId, (view = { names: new Map(), ancestors: new Map() }));
    const touched = new Set<string>();
    for (const [name, records] of changes) {
      touched.add(name);
      const had = view.names.has(name);
      // A name that is also an ancestor stays in the tree whether it holds records or not.
      const inTree = had || view.ancestors.has(name);
      if (records.length === 0) {
        if (had) {
          view.names.delete(name);
          if (!view.ancestors.has(name)) countParents(view, name, -1, touched);
        }
        continue;
      }
      const e: NameEntry = { byType: new Map(), all: [] };
      for (const r of records) addTo(e, r);
      view.names.set(name, e);
      if (!inTree) countParents(view, name, 1, touched);
    }
    this.changed(viewId, touched);
  }

  deleteView(viewId: string): boolean {
    const had = this.views.delete(viewId);
    if (had) this.changed(viewId, undefined);
    return had;
  }

  hasView(viewId: string): boolean {
    return this.views.has(viewId);
  }

  viewIds(): string[] {
    return [...this.views.keys()];
  }

  lookup(viewId: string | undefined, name: string): NameEntry | undefined {
    return viewId === undefined ? undefined : this.views.get(viewId)?.names.get(name);
  }

  /** True when the name holds records or is an ancestor of one (an empty non-terminal). */
  exists(viewId: string | undefined, name: string): boolean {
    if (viewId === undefined) return false;
    const v = this.views.get(viewId);
    return v !== undefined && (v.names.has(name) || v.ancestors.has(name));
  }

  /** Called after each change, so encoded-answer caches can drop what it touched. */
  onChange(fn: ChangeListener): void {
    this.listeners.push(fn);
  }

  private changed(viewId: string, names: ReadonlySet<string> | undefined): void {
    for (const fn of this.listeners) fn(viewId, names);
  }
}

function addTo(e: NameEntry, r: DnsRecord): void {
  const list = e.byType.get(r.type);
  if (list) list.push(r);
  else e.byType.set(r.type, [r]);
  e.all.push(r);
}

/**
 * A name joined (1) or left (-1) the tree: its parent counts one child more or less, and a parent
 * that joins or leaves the tree with it does the same to its own parent. Ancestors that appear or
 * vanish go into `flipped`.
 */
function countParents(view: View, name: string, by: 1 | -1, flipped?: Set<string>): void {
  for (let child = name, dot = child.indexOf("."); dot >= 0; dot = child.indexOf(".")) {
    const parent = child.slice(dot + 1);
    const n = (view.ancestors.get(parent) ?? 0) + by;
    if (n === 0) view.ancestors.delete(parent);
    else view.ancestors.set(parent, n);
    // Still (or already) in the tree: nothing changes above it.
    if (!(n === 0 || (n === 1 && by === 1))) return;
    flipped?.add(parent);
    if (view.names.has(parent)) return;
    child = parent;
  }
}
