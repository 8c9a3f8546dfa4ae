// The services part of every compile, incremental: one API change touches one service or one label
// list, so only the services whose record, selection list or runtime facts changed are compiled
// again; the others keep their fragment object (the nft diff and the conntrack cleanup skip them by
// identity). The result is the same as compiling every service from scratch with the same slot blocks.
import type { DesiredState } from "../../model/types";
import { EMPTY_RUNTIME, hasVip, serviceVips, type Service, type ServiceRuntime } from "../../model/service";
import { familyOfIp } from "../../model/service-families";
import { compileService, serviceChains, type ServiceFragment } from "./compile";
import { indexEndpoints, selectionList, serviceEndpoints, type EndpointIndex } from "./endpoints";
import { LabelListVersions } from "./label-lists";
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
  /** Position of its record in the last service list, and of its fragment in the last output. */
  pos: number;
  at: number;
  /** The last walk over all services that found it (older: it is gone). */
  seen: number;
}

export class ServiceCompiler {
  private readonly lists = new LabelListVersions();
  private readonly entries = new Map<string, Entry>();
  /** Service ids by the label list they read: a changed list recompiles its readers only. */
  private readonly readers = new Map<string, Set<string>>();
  private last: { services: readonly Service[]; runtime: ServiceRuntime; fragments: ServiceFragment[] } | undefined;
  /** Entries by position in the last service list (undefined for services without a VIP). */
  private aligned: (Entry | undefined)[] = [];
  private walks = 0;

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
    // The store hands out the same (frozen) list until a service is written: a workload change
    // then recompiles only the readers of the label lists it changed.
    const fragments = this.last?.services === services ? this.recompile(dirty, index, runtime, this.last.fragments) : this.walk(services, dirty, index, runtime);
    this.last = { services, runtime, fragments };
    return fragments;
  }

  private recompile(dirty: ReadonlySet<string>, index: EndpointIndex, runtime: ServiceRuntime, fragments: ServiceFragment[]): ServiceFragment[] {
    let out: ServiceFragment[] | undefined;
    for (const id of dirty) {
      const e = this.entries.get(id);
      if (!e) continue;
      const next = this.compileOne(e.service, index, runtime, e);
      next.pos = e.pos;
      next.at = e.at;
      next.seen = e.seen;
      this.aligned[e.pos] = next;
      this.entries.set(id, next);
      if (next.fragment !== e.fragment) (out ??= fragments.slice())[e.at] = next.fragment;
    }
    return out ?? fragments;
  }

  /**
   * A new service list: mostly the last one with a record added, replaced or removed. Walking both
   * lists side by side, an unchanged record is one pointer comparison; a map lookup realigns the
   * walk after a difference, and only changed records compile.
   */
  private walk(services: readonly Service[], dirty: ReadonlySet<string>, index: EndpointIndex, runtime: ServiceRuntime): ServiceFragment[] {
    const walk = ++this.walks;
    const prev = this.last?.services ?? [];
    const prevAligned = this.aligned;
    const aligned: (Entry | undefined)[] = new Array(services.length);
    const out: ServiceFragment[] = [];
    const released: string[] = [];
    let j = 0;
    for (let i = 0; i < services.length; i++) {
      const s = services[i]!;
      let e: Entry | undefined;
      let record: Service & { vip: string };
      if (prev[j] === s) {
        // The same record in the same place: its entry (none without a VIP), without reading the record.
        e = prevAligned[j++];
        if (!e) continue;
        record = e.service;
      } else {
        if (!hasVip(s)) continue;
        record = s;
        e = this.entries.get(s.id);
        if (e?.service === s) j = e.pos + 1;
      }
      if (e?.service !== record || (dirty.size > 0 && dirty.has(record.id))) {
        const next = this.compileOne(record, index, runtime, e);
        if (e) for (const c of e.chains) if (!next.chains.includes(c)) released.push(c);
        this.entries.set(record.id, (e = next));
      }
      e.pos = i;
      e.at = out.length;
      e.seen = walk;
      aligned[i] = e;
      out.push(e.fragment);
    }
    if (this.entries.size > out.length) {
      for (const [id, e] of this.entries) {
        if (e.seen === walk) continue;
        released.push(...e.chains);
        this.read(id, e.list, undefined);
        this.entries.delete(id);
      }
    }
    this.blocks.release(released);
    this.aligned = aligned;
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
    return { service: s, fragment, chains, list, key, pos: -1, at: -1, seen: -1 };
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

/** The daemon's compiler: its memo and slot blocks live as long as the process. */
const shared = new ServiceCompiler();

export const compileServices = (state: DesiredState, runtime: ServiceRuntime = EMPTY_RUNTIME): ServiceFragment[] => shared.compile(state, runtime);
