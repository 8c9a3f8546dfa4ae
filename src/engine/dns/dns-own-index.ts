// Each view's workload records and the client index, kept per attachment and updated by the
// workloads and attachments a change wrote (issue 20: rebuilding every view per creation made the
// DNS sync a quarter of pontond's time at 2,750 workloads). The store hands out the same frozen
// record for what a change left alone, so what changed is found by identity. Equal, view by view
// and name by name, to workloadRecords() and viewIndex() (dns-own-index.test.ts), as long as the
// lists keep their records' order relative to each other (the store's lists are sorted by key).
import type { DnsRecord } from "../../dns";
import { DEFAULT_NAMESPACE, type DesiredState } from "../../model/types";
import { crossesHost } from "../../model/networks/drivers";
import { clusterFirst } from "../../model/workloads/workload-dns";
import { answersDns, attachmentRecords, viewId } from "./dns-records";
import { attachmentKey } from "../../model/list-delta";
import { WorkloadMirror } from "../../model/workload-mirror";

const attKey = attachmentKey;

interface Asker {
  networks: string[];
  view: string;
}

export class DnsOwnIndex {
  /** What the index was built for (the bridge-like networks and the domain): a change of it rebuilds. */
  private basis = "";
  private bridges = new Set<string>();
  private readonly mirror = new WorkloadMirror();
  /** Attachment → its records (only those answered on a bridge-like network). */
  private records = new Map<string, DnsRecord[]>();
  /** Network → name → the attachments holding records of it. */
  private byNetwork = new Map<string, Map<string, Set<string>>>();
  private askers = new Map<string, Asker>();
  /** Askers' views → how many workloads ask in each, and its networks. */
  private askerViews = new Map<string, { networks: string[]; count: number }>();
  /** Client address → its view, and each workload's addresses in it. */
  readonly index = new Map<string, string>();
  private clientsOf = new Map<string, string[]>();
  private internal = new Set<string>();
  /** Addresses on --internal networks (sealedClients()), as address → how many attachments hold it; and each attachment's. */
  readonly sealed = new Map<string, number>();
  private sealedOf = new Map<string, string[]>();
  /** Attachment → its place in the list, built only when a name has several holders. */
  private positions: Map<string, number> | undefined;

  /**
   * Takes the state; returns what moved since the last call: per view, the names whose own records
   * may have changed (views new or gone are found by views()), and client addresses whose view
   * changed. `rebuilt`: the networks or domain changed, everything was built again (names that
   * went are not in `touched`: compare every view whole).
   */
  update(state: DesiredState, domain: string): { rebuilt: boolean; touched: Map<string, Set<string>>; moved: Set<string> } {
    const bridges = state.networks.filter(crossesHost).map((n) => n.id);
    const internal = state.networks.filter((n) => n.internal).map((n) => n.id);
    const basis = JSON.stringify([domain, bridges, internal]);
    const rebuilt = basis !== this.basis;
    const moved = new Set<string>();
    if (rebuilt) {
      // Every client is bound again.
      for (const ip of this.index.keys()) moved.add(ip);
      this.reset(basis, bridges, internal);
    }
    this.positions = undefined;
    const touched = new Map<string, Set<string>>();
    const { workloads: changedW, attachments: changedA } = this.mirror.update(state);
    for (const wid of changedW) for (const k of this.mirror.attsOf.get(wid) ?? []) changedA.add(k);
    for (const k of changedA) this.recordsChanged(k, domain, touched);
    for (const k of changedA) this.sealedChanged(k);
    for (const wid of changedW) this.askerChanged(wid, moved);
    return { rebuilt, touched, moved };
  }

  /** Every view: each bridge-like network's, then the askers' own. */
  views(): string[] {
    return [...new Set([...this.bridges, ...this.askerViews.keys()])];
  }

  /** A view's records in workloadRecords' order. */
  viewRecords(view: string): DnsRecord[] {
    const nets = this.bridges.has(view) ? [view] : (this.askerViews.get(view)?.networks ?? []);
    const list = this.mirror.attachmentList ?? [];
    return nets.flatMap((n) => list.flatMap((a) => (a.networkId === n ? (this.records.get(attKey(a)) ?? []) : [])));
  }

  /** A view's records of one name, in the same order. */
  nameRecords(view: string, name: string): DnsRecord[] {
    const nets = this.bridges.has(view) ? [view] : (this.askerViews.get(view)?.networks ?? []);
    return nets.flatMap((n) => {
      const holders = [...(this.byNetwork.get(n)?.get(name) ?? [])];
      if (holders.length > 1) holders.sort((a, b) => this.position(a) - this.position(b));
      return holders.flatMap((k) => this.records.get(k)!.filter((r) => r.name === name));
    });
  }

  private position(k: string): number {
    this.positions ??= new Map((this.mirror.attachmentList ?? []).map((a, i) => [attKey(a), i]));
    return this.positions.get(k) ?? -1;
  }

  private reset(basis: string, bridges: string[], internal: string[]): void {
    this.basis = basis;
    this.bridges = new Set(bridges);
    this.internal = new Set(internal);
    this.mirror.clear();
    for (const m of [this.records, this.askers, this.askerViews, this.index, this.clientsOf, this.sealed, this.sealedOf]) m.clear();
    this.byNetwork = new Map(bridges.map((n) => [n, new Map()]));
  }

  private recordsChanged(k: string, domain: string, touched: Map<string, Set<string>>): void {
    const a = this.mirror.attachments.get(k);
    const w = a && this.mirror.workloads.get(a.workloadId);
    const before = this.records.get(k);
    const now = a && w && answersDns(w) && this.bridges.has(a.networkId) ? attachmentRecords(w, a, domain) : undefined;
    const net = k.slice(k.indexOf("\t") + 1);
    const names = this.byNetwork.get(net);
    if (!names) return;
    const touch = (name: string) => {
      for (const view of this.viewsOf(net)) (touched.get(view) ?? touched.set(view, new Set()).get(view)!).add(name);
    };
    for (const r of before ?? []) {
      const holders = names.get(r.name);
      if (holders?.delete(k) && holders.size === 0) names.delete(r.name);
      touch(r.name);
    }
    if (now) {
      this.records.set(k, now);
      for (const r of now) {
        (names.get(r.name) ?? names.set(r.name, new Set()).get(r.name)!).add(k);
        touch(r.name);
      }
    } else this.records.delete(k);
  }

  /** An attachment's addresses counted as sealed while it is on an --internal network (any workload state, as sealedClients()). */
  private sealedChanged(k: string): void {
    const a = this.mirror.attachments.get(k);
    for (const ip of this.sealedOf.get(k) ?? []) {
      const n = this.sealed.get(ip)!;
      if (n === 1) this.sealed.delete(ip);
      else this.sealed.set(ip, n - 1);
    }
    const ips = a && this.internal.has(a.networkId) ? [a.ip4, a.ip6].filter((ip): ip is string => !!ip) : [];
    for (const ip of ips) this.sealed.set(ip, (this.sealed.get(ip) ?? 0) + 1);
    if (ips.length) this.sealedOf.set(k, ips);
    else this.sealedOf.delete(k);
  }

  /** The views holding a network's records: its own and the askers' views that span it. */
  private viewsOf(net: string): string[] {
    const out = [net];
    for (const [view, v] of this.askerViews) if (view !== net && v.networks.includes(net)) out.push(view);
    return out;
  }

  private askerChanged(wid: string, moved: Set<string>): void {
    const w = this.mirror.workloads.get(wid);
    const atts = [...(this.mirror.attsOf.get(wid) ?? [])].map((k) => this.mirror.attachments.get(k)!);
    const networks = [...new Set(atts.filter((a) => this.bridges.has(a.networkId)).map((a) => a.networkId))].sort();
    const upstreams = w && clusterFirst(w.dns) ? (w.dns?.nameservers ?? []) : [];
    const now = w && networks.length ? { networks, view: viewId({ networks, namespace: w.namespace ?? DEFAULT_NAMESPACE, upstreams }) } : undefined;
    const before = this.askers.get(wid);
    if (before?.view !== now?.view) {
      if (before) {
        const v = this.askerViews.get(before.view)!;
        if (--v.count === 0) this.askerViews.delete(before.view);
      }
      if (now) {
        const v = this.askerViews.get(now.view);
        if (v) v.count++;
        else this.askerViews.set(now.view, { networks: now.networks, count: 1 });
      }
    }
    if (now) this.askers.set(wid, now);
    else this.askers.delete(wid);
    const had = new Map((this.clientsOf.get(wid) ?? []).map((ip) => [ip, this.index.get(ip)]));
    for (const ip of had.keys()) this.index.delete(ip);
    const ips = now ? atts.flatMap((a) => [a.ip4, a.ip6].filter((ip): ip is string => !!ip)) : [];
    for (const ip of ips) this.index.set(ip, now!.view);
    for (const [ip, view] of had) if (this.index.get(ip) !== view) moved.add(ip);
    for (const ip of ips) if (!had.has(ip)) moved.add(ip);
    if (ips.length) this.clientsOf.set(wid, ips);
    else this.clientsOf.delete(wid);
  }
}
