// Precomputed local UDP answers: (view, exact question bytes from offset 4) -> encoded response,
// bounded per view, oldest out first. With the native fast path every change is mirrored into the
// addon's table, whose listener threads then answer those queries without entering JS; the JS
// copy still serves the queries that do reach JS (a client not yet bound to its view). Each answer
// remembers the names it was built from, so a change to some names drops only their answers.
import { type FastpathAddon, type NativeHandle, fastpathAddon } from "../server/fastpath-addon";

export interface NativeCounters {
  hits: number;
  nxdomain: number;
  shed: number;
  formerr: number;
  notimp: number;
  refused: number;
  dropped: number;
}

interface ViewAnswers {
  /** Key -> its answer and the names the answer was built from. */
  answers: Map<string, { answer: Buffer; names: readonly string[] }>;
  /** Name -> the keys whose answers were built from it. */
  keysOf: Map<string, Set<string>>;
}

export class HotAnswers {
  private readonly byView = new Map<string, ViewAnswers>();
  private readonly native?: { addon: FastpathAddon; table: NativeHandle };

  /** `native`: mirror into a new addon table (throws FastpathUnavailableError without the addon). */
  constructor(
    private readonly maxPerView: number,
    native: boolean,
  ) {
    if (native) {
      const addon = fastpathAddon();
      this.native = { addon, table: addon.tableCreate() };
    }
  }

  /** The addon table native listeners answer from; undefined on the pure-JS path. */
  get nativeTable(): NativeHandle | undefined {
    return this.native?.table;
  }

  get(view: string, key: string): Buffer | undefined {
    return this.byView.get(view)?.answers.get(key)?.answer;
  }

  /** `names`: what the answer was built from (LocalAnswer.consulted). */
  remember(view: string, key: string, answer: Buffer, names: readonly string[]): void {
    let v = this.byView.get(view);
    if (!v) this.byView.set(view, (v = { answers: new Map(), keysOf: new Map() }));
    if (v.answers.has(key)) this.forget(view, v, key);
    // A flood of random names cannot grow this past the bound.
    else if (v.answers.size >= this.maxPerView) this.forget(view, v, v.answers.keys().next().value as string);
    v.answers.set(key, { answer, names });
    for (const n of names) {
      let keys = v.keysOf.get(n);
      if (!keys) v.keysOf.set(n, (keys = new Set()));
      keys.add(key);
    }
    this.native?.addon.tableRemember(this.native.table, view, Buffer.from(key, "latin1"), answer);
  }

  /** A view was replaced or deleted: its answers go, and (natively) every client's view binding with them. */
  dropView(view: string): void {
    this.byView.delete(view);
    this.native?.addon.tableDropView(this.native.table, view);
  }

  /** Some names of a view changed: the answers built from them go, the others stay (natively too). */
  dropNames(view: string, names: Iterable<string>): void {
    const v = this.byView.get(view);
    if (!v) return;
    for (const n of names) for (const key of v.keysOf.get(n) ?? []) this.forget(view, v, key);
  }

  /** Tells the native listeners which view a client address (a native peer) sees. */
  bindClient(peer: Buffer, view: string): void {
    this.native?.addon.tableBindClient(this.native.table, peer, view);
  }

  /** The view of this client address changed: the next query from it is bound again. */
  unbindAddress(address: string): void {
    this.native?.addon.tableUnbindAddress(this.native.table, address);
  }

  nativeCounters(): NativeCounters {
    if (!this.native) return { hits: 0, nxdomain: 0, shed: 0, formerr: 0, notimp: 0, refused: 0, dropped: 0 };
    const [hits, nxdomain, shed, formerr, refused, dropped, notimp] = this.native.addon.tableCounters(this.native.table);
    return { hits, nxdomain, shed, formerr, notimp, refused, dropped };
  }

  private forget(view: string, v: ViewAnswers, key: string): void {
    for (const n of v.answers.get(key)?.names ?? []) {
      const keys = v.keysOf.get(n);
      keys?.delete(key);
      if (keys?.size === 0) v.keysOf.delete(n);
    }
    v.answers.delete(key);
    this.native?.addon.tableForget(this.native.table, view, Buffer.from(key, "latin1"));
  }
}
