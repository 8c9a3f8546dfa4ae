// Loads the native DNS fast path (native/dns-fastpath, built by `npm run build`). A server that
// wants it and cannot have it fails at construction with a coded error, never silently slower.
import * as path from "node:path";

declare const opaque: unique symbol;
/** A table or listener owned by the addon. */
export type NativeHandle = { readonly [opaque]: true };

/** Called on the JS thread for each query the listener thread could not answer. */
export type MissHandler = (msg: Buffer, peer: Buffer, address: string) => void;

export interface FastpathAddon {
  tableCreate(): NativeHandle;
  tableRemember(table: NativeHandle, view: string, key: Buffer, answer: Buffer): void;
  tableForget(table: NativeHandle, view: string, key: Buffer): void;
  tableDropView(table: NativeHandle, view: string): void;
  tableBindClient(table: NativeHandle, peer: Buffer, view: string): void;
  /** Forgets the view bound to a client address ("10.0.0.2", "fd00::2"): the next query asks JS. */
  tableUnbindAddress(table: NativeHandle, address: string): void;
  /**
   * [answered natively, of which NXDOMAIN, dropped because JS was flooded, FORMERR and REFUSED
   * sent from the header alone, ignored (short or a response), NOTIMP sent from the header alone].
   */
  tableCounters(table: NativeHandle): [number, number, number, number, number, number, number];
  /**
   * `clients`: prefixes answered at all (others get REFUSED on the listener thread); undefined: any.
   * Throws an Error with an errno code (EADDRINUSE, ...) when the socket cannot be bound.
   */
  listen(table: NativeHandle, address: string, port: number, onMiss: MissHandler, clients: readonly string[] | undefined): NativeHandle;
  localPort(listener: NativeHandle): number;
  send(listener: NativeHandle, msg: Buffer, peer: Buffer): boolean;
  close(listener: NativeHandle): void;
}

export const ADDON_PATH = path.resolve(__dirname, "..", "..", "..", "..", "native", "dns-fastpath", "build", "Release", "dns_fastpath.node");

export class FastpathUnavailableError extends Error {
  readonly code = "DNS_FASTPATH_UNAVAILABLE";
}

let loaded: FastpathAddon | undefined;

export function fastpathAddon(): FastpathAddon {
  return (loaded ??= loadAddon(ADDON_PATH));
}

/** Loads an addon file; any failure becomes a FastpathUnavailableError that says how to fix it. */
export function loadAddon(file: string): FastpathAddon {
  try {
    return require(file) as FastpathAddon;
  } catch (err) {
    throw new FastpathUnavailableError(
      `dns fast path: cannot load ${file}: ${(err as Error).message.split("\n")[0]}; run 'npm run build' (needs g++, make, python3 and Node's headers)`,
    );
  }
}
