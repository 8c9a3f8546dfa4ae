// Views: each network sees only its own records. A view is rebuilt whole on every setView (the
// engine sends the full list), which keeps the structure immutable per generation and lookups a
// single Map.get.
import { type DnsRecord, type RecordType, validateRecord } from "./records";

/** Every record one name holds in one view, grouped by type. */
export interface NameEntry {
  byType: Map<RecordType, DnsRecord[]>;
  all: DnsRecord[];
}

interface View {
  names: Map<string, NameEntry>;
  /** Empty non-terminals (ancestors of a name that hold no record): NODATA, not NXDOMAIN (RFC 8020). */
  ancestors: Set<string>;
}

export class RecordTable {
  private readonly views = new Map<string, View>();
  private readonly listeners: Array<(viewId: string) => void> = [];

  /** Replaces the records of one view; validates all before changing anything. */
  setView(viewId: string, records: readonly DnsRecord[]): void {
    for (const r of records) validateRecord(r);
    const names = new Map<string, NameEntry>();
    const ancestors = new Set<string>();
    for (const r of records) {
      let e = names.get(r.name);
      if (!e) names.set(r.name, (e = { byType: new Map(), all: [] }));
      const list = e.byType.get(r.type);
      if (list) list.push(r);
      else e.byType.set(r.type, [r]);
      e.all.push(r);
      for (let i = r.name.indexOf("."); i >= 0; i = r.name.indexOf(".", i + 1)) ancestors.add(r.name.slice(i + 1));
    }
    this.views.set(viewId, { names, ancestors });
    this.changed(viewId);
  }

  deleteView(viewId: string): boolean {
    const had = this.views.delete(viewId);
    if (had) this.changed(viewId);
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

  /** Called with the view id after each change, so encoded-answer caches can drop that view. */
  onChange(fn: (viewId: string) => void): void {
    this.listeners.push(fn);
  }

  private changed(viewId: string): void {
    for (const fn of this.listeners) fn(viewId);
  }
}
