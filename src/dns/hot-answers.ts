// Precomputed local UDP answers: (view, exact question bytes from offset 4) -> encoded response,
// bounded per view, oldest out first. With the native fast path every change is mirrored into the
// addon's table, whose listener threads then answer those queries without entering JS; the JS
// copy still serves the queries that do reach JS (a client not yet bound to its view).
import { type FastpathAddon, type NativeHandle, fastpathAddon } from "./fastpath-addon";

export interface NativeCounters {
  hits: number;
  nxdomain: number;
  shed: number;
}

export class HotAnswers {
  private readonly byView = new Map<string, Map<string, Buffer>>();
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
    return this.byView.get(view)?.get(key);
  }

  remember(view: string, key: string, answer: Buffer): void {
    let m = this.byView.get(view);
    if (!m) this.byView.set(view, (m = new Map()));
    // A flood of random names cannot grow this past the bound.
    if (m.size >= this.maxPerView) {
      const oldest = m.keys().next().value as string;
      m.delete(oldest);
      this.native?.addon.tableForget(this.native.table, view, Buffer.from(oldest, "latin1"));
    }
    m.set(key, answer);
    this.native?.addon.tableRemember(this.native.table, view, Buffer.from(key, "latin1"), answer);
  }

  /** A view changed: its answers go, and (natively) every client's view binding with them. */
  dropView(view: string): void {
    this.byView.delete(view);
    this.native?.addon.tableDropView(this.native.table, view);
  }

  /** Tells the native listeners which view a client address (a native peer) sees. */
  bindClient(peer: Buffer, view: string): void {
    this.native?.addon.tableBindClient(this.native.table, peer, view);
  }

  nativeCounters(): NativeCounters {
    if (!this.native) return { hits: 0, nxdomain: 0, shed: 0 };
    const [hits, nxdomain, shed] = this.native.addon.tableCounters(this.native.table);
    return { hits, nxdomain, shed };
  }
}
