// Published host ports are held by the port holder (src/ports/): a host process cannot take one, and
// one it already holds is refused here, naming it, before anything else is made.
import { EngineError } from "../errors";
import { formatPort, RANDOM_PORT } from "../model/ports";
import type { PortMapping, Protocol } from "../model/types";
import { describeOwners, HeldEntriesIndex, holdEntry, socketOwners, type HoldEntry, type HoldResult } from "../ports";
import type { Store } from "../store";
import type { EngineContext } from "./context";

/** The sockets the state holds, kept per change for each store (one engine's). */
const heldOf = new WeakMap<Store, HeldEntriesIndex>();
function heldEntries(store: Store): HoldEntry[] {
  const index = heldOf.get(store) ?? heldOf.set(store, new HeldEntriesIndex()).get(store)!;
  return index.entries(store.state());
}

/** A free port the kernel picked may still be one Ponton gives elsewhere (a service's host port): pick again, this many times. */
const RANDOM_TRIES = 16;

function refusal(what: string, p: { protocol: Protocol; hostPort: number; hostIp?: string | undefined }, r: HoldResult): EngineError {
  const errno = r.error!.errno;
  if (errno === "EADDRINUSE") {
    return new EngineError("PORT_IN_USE", `${what}: host port ${p.hostPort}/${p.protocol} is held by ${describeOwners(socketOwners(p.protocol, p.hostPort))}`);
  }
  if (errno === "EADDRNOTAVAIL") return new EngineError("HOST_ADDRESS_NOT_LOCAL", `${what}: ${p.hostIp} is not an address of this host`);
  return new EngineError("KERNEL_ERROR", `${what}: bind: ${r.error!.message}`);
}

/**
 * Binds every host port of a new workload (random ones get theirs here) and returns the mappings
 * with their ports. `taken` says whether Ponton already gives that port elsewhere. On a refusal,
 * whatever this call bound is let go.
 */
export async function claimPorts(ctx: EngineContext, name: string, ports: PortMapping[], taken: (p: PortMapping) => boolean): Promise<PortMapping[]> {
  if (ports.length === 0) return ports;
  try {
    const results = await ctx.ports.hold(ports.map(holdEntry));
    const out: PortMapping[] = [];
    for (const [i, p] of ports.entries()) {
      let r = results[i]!;
      let got: PortMapping = { ...p, hostPort: r.port };
      for (let tries = 1; !r.error && p.hostPort === RANDOM_PORT && (taken(got) || out.some((o) => o.protocol === got.protocol && o.hostPort === got.hostPort)); tries++) {
        if (tries === RANDOM_TRIES) throw new EngineError("PORT_IN_USE", `publish ${formatPort(p)} for ${name}: no free host port found in ${RANDOM_TRIES} tries`);
        r = (await ctx.ports.hold([holdEntry(p)]))[0]!;
        got = { ...p, hostPort: r.port };
      }
      if (r.error) throw refusal(`publish ${formatPort(p)} for ${name}`, p, r);
      out.push(got);
    }
    return out;
  } catch (e) {
    await syncHeldPorts(ctx).catch(() => undefined);
    throw e;
  }
}

/** Hold exactly the desired state's ports (and relay to where the workloads are now); returns what could not be held. */
export async function syncHeldPorts(ctx: EngineContext): Promise<string[]> {
  const entries = heldEntries(ctx.store);
  const results = await ctx.ports.sync(entries);
  return results.flatMap((r, i) => (r.error ? [`${entries[i]!.protocol} [${entries[i]!.address}]:${entries[i]!.port}: ${r.error.errno}`] : []));
}

/**
 * Stores a change (`put`), then holds the host ports the state now has that were not held (a
 * service's host ports): one a host process holds undoes the change and is refused, naming it.
 */
export async function putHoldingPorts(ctx: EngineContext, put: () => void, undo: () => void, what: string): Promise<void> {
  ctx.store.transaction(put);
  const fresh = ctx.ports.unsynced(heldEntries(ctx.store));
  if (fresh.length === 0) return;
  const results = await ctx.ports.hold(fresh).catch((e: Error) => {
    ctx.store.transaction(undo);
    throw e;
  });
  const bad = results.findIndex((r) => r.error);
  if (bad < 0) return;
  ctx.store.transaction(undo);
  await syncHeldPorts(ctx).catch(() => undefined);
  const e = fresh[bad]!;
  throw refusal(what, { protocol: e.protocol, hostPort: e.port, hostIp: e.address }, results[bad]!);
}
