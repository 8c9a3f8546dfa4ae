// The services part of every compile, incremental: one API change touches one service or one label
// list, so only the services whose record, selection list or runtime facts changed are compiled
// again; the others keep their fragment object (the nft diff and the conntrack cleanup skip them by
// identity). The result is the same as compiling every service from scratch with the same slot blocks.
import type { DesiredState } from "../../model/types";
import { EMPTY_RUNTIME, hasVip, serviceKey, serviceNamespace, serviceVips, type Service, type ServiceRuntime } from "../../model/services/service";
import { familyOfIp } from "../../model/services/service-families";
import { compileService, serviceChains, type ServiceFragment } from "./compile";
import { indexEndpoints, selectionList, serviceEndpoints, type EndpointIndex } from "./endpoints";
import { LabelListChanges } from "./label-lists";
import { runtimeChanges } from "./runtime-changes";
import { SlotBlocks } from "./slots";

interface Entry {
  service: Service & { vip: string };
  fragment: ServiceFragment;
  chains: string[];
  /** The label list its selection was read from (endpoints.ts selectionList). */
  list: string | undefined;
  /** Slot bases, endpoints and counts it was compiled from: the same record with the same key keeps its fragment. */
  key: string;
}

export class ServiceCompiler {
  private readonly lists = new LabelListChanges();
  private readonly entries = new Map<string, Entry>();
  /** Service ids by the label list they read: a changed list recompiles its readers only. */
  private readonly readers = new Map<string, Set<string>>();
  private last: { services: readonly Service[]; runtime: ServiceRuntime; fragments: ServiceFragment[] } | undefined;
  /** Entries and their fragments by position in the last service list (undefined without a VIP):
   * the walk reads these arrays, never the entries or records of unchanged services. */
  private aligned: (Entry | undefined)[] = [];
  private fragmentAt: (ServiceFragment | undefined)[] = [];

  constructor(private readonly blocks = new SlotBlocks()) {}

  /** A copy of the slot assignment so far (tests compile the same state from scratch with it). */
  slots(): SlotBlocks {
    return this.blocks.clone();
  }

  /** Fragments of the services with a VIP (headless and ExternalName ones are DNS only), in the services' order. */
  compile(state: DesiredState, runtime: ServiceRuntime = EMPTY_RUNTIME): ServiceFragment[] {
    const services = state.services ?? [];
    const index = indexEndpoints(state);
    const dirty = this.last ? runtimeChanges(this.last.runtime, runtime) : new Set<string>();
    for (const list of this.lists.update(index)) for (const id of this.readers.get(list) ?? []) dirty.add(id);
    // The store hands out the same list until a service is written: a workload change
    // then recompiles only the readers of the label lists it changed.
    const fragments = this.last?.services === services ? this.recompile(services, dirty, index, runtime, this.last.fragments) : this.walk(services, dirty, index, runtime);
    this.last = { services, runtime, fragments };
    return fragments;
  }

  /** The same service list: only the dirty services compile, in place. */
  private recompile(services: readonly Service[], dirty: ReadonlySet<string>, index: EndpointIndex, runtime: ServiceRuntime, fragments: ServiceFragment[]): ServiceFragment[] {
    let out: ServiceFragment[] | undefined;
    for (const id of dirty) {
      const e = this.entries.get(id);
      if (!e) continue;
      const next = this.compileOne(e.service, index, runtime, e);
      this.entries.set(id, next);
      const pos = placeOf(services, e.service, keyOfService);
      this.aligned[pos] = next;
      this.fragmentAt[pos] = next.fragment;
      if (next.fragment !== e.fragment) (out ??= fragments.slice())[placeOf(fragments, e.fragment, (f) => f.name)] = next.fragment;
    }
    return out ?? fragments;
  }

  /**
   * A new service list: mostly the last one with a record added, replaced or removed. Walking both
   * lists side by side (both in key order), an unchanged record is a pointer comparison; after a
   * difference a binary search realigns the walk, and only changed records compile. Entries the walk
   * passed over are gone unless their service turned up elsewhere.
   */
  private walk(services: readonly Service[], dirty: ReadonlySet<string>, index: EndpointIndex, runtime: ServiceRuntime): ServiceFragment[] {
    const prev = this.last?.services ?? [];
    const prevAligned = this.aligned;
    const prevFragments = this.fragmentAt;
    const aligned: (Entry | undefined)[] = new Array(services.length);
    const fragmentAt: (ServiceFragment | undefined)[] = new Array(services.length);
    const out: ServiceFragment[] = [];
    const passed: Entry[] = [];
    const foundElsewhere = new Set<Entry>();
    const released: string[] = [];
    let j = 0;
    for (let i = 0; i < services.length; i++) {
      const s = services[i]!;
      let e: Entry | undefined;
      let record: Service & { vip: string };
      if (prev[j] !== s) {
        const k = s === prev[j + 1] ? j + 1 : findFrom(prev, j, s, keyOfService);
        for (; j < k; j++) if (prevAligned[j]) passed.push(prevAligned[j]!);
      }
      if (prev[j] === s) {
        e = prevAligned[j];
        const f = prevFragments[j++];
        if (!e) continue;
        if (dirty.size === 0 || !dirty.has(e.service.id)) {
          aligned[i] = e;
          fragmentAt[i] = f;
          out.push(f!);
          continue;
        }
        record = e.service;
      } else {
        if (!hasVip(s)) continue;
        record = s;
        e = this.entries.get(s.id);
        if (e?.service === s) foundElsewhere.add(e);
      }
      if (e?.service !== record || dirty.has(record.id)) {
        const next = this.compileOne(record, index, runtime, e);
        if (e) for (const c of e.chains) if (!next.chains.includes(c)) released.push(c);
        this.entries.set(record.id, (e = next));
      }
      aligned[i] = e;
      fragmentAt[i] = e.fragment;
      out.push(e.fragment);
    }
    for (; j < prev.length; j++) if (prevAligned[j]) passed.push(prevAligned[j]!);
    for (const e of passed) {
      if (this.entries.get(e.service.id) !== e || foundElsewhere.has(e)) continue;
      released.push(...e.chains);
      this.read(e.service.id, e.list, undefined);
      this.entries.delete(e.service.id);
    }
    this.blocks.release(released);
    this.aligned = aligned;
    this.fragmentAt = fragmentAt;
    return out;
  }

  private compileOne(s: Service & { vip: string }, index: EndpointIndex, runtime: ServiceRuntime, prev: Entry | undefined): Entry {
    const list = selectionList(s, index);
    this.read(s.id, prev?.list, list);
    const eps = new Map(serviceVips(s).map((v) => [familyOfIp(v), serviceEndpoints(s, index, runtime, familyOfIp(v))] as const));
    const counts = runtime.connections.get(s.id);
    const chains = serviceChains(s);
    const bases = new Map(chains.map((c) => [c, this.blocks.baseOf(c)]));
    const epsKey = [...eps].map(([f, list]) => `${f}:${list.map((e) => `${e.key} ${e.weight}`).join("|")}`).join("/");
    const key = `${[...bases.values()]}|${epsKey}|${counts ? JSON.stringify([...counts]) : ""}`;
    const fragment = prev?.service === s && prev.key === key ? prev.fragment : compileService(s, eps, counts, bases);
    return { service: s, fragment, chains, list, key };
  }

  private read(id: string, from: string | undefined, to: string | undefined): void {
    if (from === to) return;
    const was = from === undefined ? undefined : this.readers.get(from);
    was?.delete(id);
    if (was?.size === 0) this.readers.delete(from!);
    if (to === undefined) return;
    const now = this.readers.get(to);
    if (now) now.add(id);
    else this.readers.set(to, new Set([id]));
  }
}

const keyOfService = (s: Service) => serviceKey(s.name, serviceNamespace(s));

/** Where `item` is in `list` (in key order) at or after `from`, by binary search; -1 if it is not there. */
function findFrom<T>(list: readonly T[], from: number, item: T, keyOf: (t: T) => string): number {
  const key = keyOf(item);
  let lo = from;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(list[mid]!) < key) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < list.length && keyOf(list[lo]!) === key; lo++) if (list[lo] === item) return lo;
  return -1;
}

/** Where `item` is in `list`: by key, or by a scan for a list that is not in key order (hand-made states). */
function placeOf<T>(list: readonly T[], item: T, keyOf: (t: T) => string): number {
  const at = findFrom(list, 0, item, keyOf);
  return at >= 0 ? at : list.indexOf(item);
}

/** The daemon's compiler: its memo and slot blocks live as long as the process. */
const shared = new ServiceCompiler();

export const compileServices = (state: DesiredState, runtime: ServiceRuntime = EMPTY_RUNTIME): ServiceFragment[] => shared.compile(state, runtime);
