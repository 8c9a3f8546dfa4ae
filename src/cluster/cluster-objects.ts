// Services, policies and namespaces are cluster-scope: stored in etcd, mirrored by every node into its own store.
// A change is one etcd transaction that writes the records and reserves (or frees) their VIPs and
// NodePorts and LoadBalancer addresses, conditional on every key it read being unchanged: two nodes
// never hold the same VIP, NodePort or LoadBalancer address, and a change refused by etcd leaves
// nothing behind. Only then does the node apply it.
import type { Etcd3, Watcher } from "etcd3";
import { EngineError } from "../errors";
import { serviceNamespace, serviceRef, serviceVips, type Service } from "../model/services/service";
import type { Namespace, PolicyRecord } from "../model/types";
import type { Undo } from "../engine/cluster/cluster-gate";
import { etcdCall } from "./etcd";
import { NAMESPACES, POLICIES, SERVICES, lbIpKey, namespaceKey, nodePortKey, policyKey, serviceKey, vipKey } from "./keys";
import { Rerun } from "./loop";
import { policyKey as policyName } from "../policy";

type Kind = "VIP" | "NodePort" | "LoadBalancer address";

/**
 * The keys a service reserves besides its own: its VIPs, NodePorts and LoadBalancer addresses, each
 * with the holder etcd keeps (services sharing an address by sharing key hold it together).
 */
export function reservations(s: Service): { key: string; kind: Kind; what: string; holder: string }[] {
  const ref = serviceRef(s);
  const lbHolder = s.loadBalancer?.sharingKey ? `sharing-key ${serviceNamespace(s)}/${s.loadBalancer.sharingKey}` : ref;
  return [
    ...serviceVips(s).map((ip) => ({ key: vipKey(ip), kind: "VIP" as const, what: ip, holder: ref })),
    ...s.ports.filter((p) => p.hostPort !== undefined).map((p) => ({ key: nodePortKey(p.protocol, p.hostPort!), kind: "NodePort" as const, what: `${p.hostPort}/${p.protocol}`, holder: ref })),
    ...(s.loadBalancer?.ips ?? []).map((ip) => ({ key: lbIpKey(ip), kind: "LoadBalancer address" as const, what: ip, holder: lbHolder })),
  ];
}

const keyOfService = (s: Service) => serviceKey(serviceNamespace(s), s.name);

interface Read {
  value: string | undefined;
  mod: string;
}

export class ClusterObjects {
  private watchers: Watcher[] = [];
  private readonly mirrorLoop: Rerun;

  constructor(
    private readonly etcd: Etcd3,
    private readonly mirror: { services(records: Service[]): Promise<void>; policies(records: PolicyRecord[]): Promise<void>; namespaces(records: Namespace[]): Promise<void> },
  ) {
    this.mirrorLoop = new Rerun("mirror services, policies and namespaces", () => this.mirrorOnce());
  }

  /** Mirror now, then on every change of any prefix (the etcd3 client resumes its watches). */
  async start(): Promise<void> {
    for (const prefix of [SERVICES, POLICIES, NAMESPACES]) {
      const w = await this.etcd.watch().prefix(prefix).create();
      w.on("data", () => void this.mirrorLoop.run());
      w.on("connected", () => void this.mirrorLoop.run());
      w.on("error", (e) => console.error(`pontond: cluster: ${prefix} watch: ${e.message}`));
      this.watchers.push(w);
    }
    await this.mirrorLoop.run();
  }

  private async mirrorOnce(): Promise<void> {
    const [services, policies, namespaces] = await Promise.all([SERVICES, POLICIES, NAMESPACES].map((p) => this.etcd.getAll().prefix(p).strings()));
    // Namespaces (their labels) first: the policies' namespaceSelectors read them.
    await this.mirror.namespaces(Object.values(namespaces!).map((v) => JSON.parse(v) as Namespace));
    await this.mirror.services(Object.values(services!).map((v) => JSON.parse(v) as Service));
    await this.mirror.policies(Object.values(policies!).map((v) => JSON.parse(v) as PolicyRecord));
  }

  private async read(keys: string[]): Promise<Map<string, Read>> {
    const out = new Map<string, Read>();
    await Promise.all(
      [...new Set(keys)].map(async (k) => {
        const r = await this.etcd.get(k).exec();
        const kv = r.kvs[0];
        out.set(k, kv ? { value: kv.value.toString(), mod: kv.mod_revision } : { value: undefined, mod: "0" });
      }),
    );
    return out;
  }

  /** Write services and reservations in one transaction; returns the undo (puts back what was read). */
  services(put: readonly Service[], removed: readonly Service[]): Promise<Undo> {
    const what = put.length === 1 && !removed.length ? `service ${serviceRef(put[0]!)}` : removed.length === 1 && !put.length ? `remove service ${serviceRef(removed[0]!)}` : `${put.length + removed.length} services`;
    return etcdCall(what, async () => {
      const recordKeys = [...put, ...removed].map(keyOfService);
      const before = await this.read(recordKeys);
      // What each service held before (as etcd has it) is freed unless it keeps it.
      const olds = [...before.values()].flatMap((r) => (r.value ? [JSON.parse(r.value) as Service] : []));
      const wanted = put.flatMap(reservations);
      const kept = new Set(wanted.map((r) => r.key));
      const held = [...olds.flatMap(reservations), ...removed.flatMap(reservations)];
      // What this change's services let go may go to another of them (a freed LoadBalancer address to a waiting service).
      const releasing = new Map(held.map((r) => [r.key, r.holder]));
      const going = held.filter((r) => !kept.has(r.key));
      const freed = await this.unshared(going, [...put, ...removed].map(keyOfService));
      const cur = await this.read([...wanted.map((r) => r.key), ...freed]);
      const refuseHeld = (now: Map<string, Read>) => {
        for (const r of wanted) {
          const holder = now.get(r.key)!.value;
          if (holder !== undefined && holder !== r.holder && releasing.get(r.key) !== holder) {
            throw new EngineError(r.kind === "NodePort" ? "PORT_IN_USE" : "ADDRESS_IN_USE", `${what}: ${r.kind} ${r.what} is held by ${holder.startsWith("sharing-key ") ? "the services of" : "service"} ${holder} in the cluster`, {
              ...(r.kind === "LoadBalancer address" ? { hint: "run the command again: this node now knows the address is taken and picks another" } : {}),
            });
          }
        }
      };
      refuseHeld(cur);
      // A key another service holds now (this one's record was stale) is not this change's to free.
      const ours = new Map(going.map((r) => [r.key, r.holder]));
      const freedNow = freed.filter((k) => cur.get(k)!.value === ours.get(k));
      const all = new Map([...before, ...cur]);
      const compares = [...all].map(([k, r]) => (r.value === undefined ? ([k, "Create", "==", 0] as const) : ([k, "Mod", "==", r.mod] as const)));
      const ops = [
        ...put.map((s) => this.etcd.put(keyOfService(s)).value(JSON.stringify(s))),
        ...wanted.map((r) => this.etcd.put(r.key).value(r.holder)),
        ...removed.map((s) => this.etcd.delete().key(keyOfService(s))),
        ...freedNow.map((k) => this.etcd.delete().key(k)),
      ];
      try {
        await this.commit(what, compares, ops);
      } catch (e) {
        // Lost a race: when another node took one of the reservations meanwhile, say which.
        if (e instanceof EngineError && e.code === "NAME_IN_USE") refuseHeld(await this.read(wanted.map((r) => r.key)));
        throw e;
      }
      return () => this.restore(all);
    });
  }

  /** The keys of `going` to delete: a shared LoadBalancer address stays while another service (not `changing`) still has it. */
  private async unshared(going: { key: string; what: string; holder: string }[], changing: string[]): Promise<string[]> {
    if (!going.some((r) => r.holder.startsWith("sharing-key "))) return [...new Set(going.map((r) => r.key))];
    const others = Object.entries(await this.etcd.getAll().prefix(SERVICES).strings()).filter(([k]) => !changing.includes(k)).map(([, v]) => JSON.parse(v) as Service);
    const stillHeld = new Set(others.flatMap((s) => s.loadBalancer?.ips ?? []));
    return [...new Set(going.filter((r) => !(r.holder.startsWith("sharing-key ") && stillHeld.has(r.what))).map((r) => r.key))];
  }

  policies(put: readonly PolicyRecord[], removed: readonly string[]): Promise<Undo> {
    const what = `${put.length + removed.length} policies`;
    return etcdCall(what, async () => {
      const keys = [...put.map((r) => policyKey(policyRef(r))), ...removed.map(policyKey)];
      const before = await this.read(keys);
      const compares = [...before].map(([k, r]) => (r.value === undefined ? ([k, "Create", "==", 0] as const) : ([k, "Mod", "==", r.mod] as const)));
      const ops = [...put.map((r) => this.etcd.put(policyKey(policyRef(r))).value(JSON.stringify(r))), ...removed.map((k) => this.etcd.delete().key(policyKey(k)))];
      await this.commit(what, compares, ops);
      return () => this.restore(before);
    });
  }

  /**
   * Put (or drop, `next` undefined) a namespace cluster-wide, only if etcd still holds `prev` (undefined:
   * none) — a label edit made from a copy another node changed meanwhile is refused, never lost.
   */
  namespace(name: string, next: Namespace | undefined, prev: Namespace | undefined): Promise<Undo> {
    const what = next ? (prev ? `label namespace ${name}` : `create namespace ${name}`) : `remove namespace ${name}`;
    const key = namespaceKey(name);
    const swap = async (from: Namespace | undefined, to: Namespace | undefined) => {
      const txn = from ? this.etcd.if(key, "Value", "==", JSON.stringify(from)) : this.etcd.if(key, "Create", "==", 0);
      return (await txn.then(to ? this.etcd.put(key).value(JSON.stringify(to)) : this.etcd.delete().key(key)).commit()).succeeded;
    };
    return etcdCall(what, async () => {
      if (!(await swap(prev, next))) {
        const held = next && !prev && (await this.etcd.get(key).string()) !== null;
        throw new EngineError("NAME_IN_USE", held ? `${what}: it already exists in the cluster` : `${what}: another node changed it meanwhile; nothing was applied`, held ? {} : { hint: "run the command again" });
      }
      return async () => void (await swap(next, prev));
    });
  }

  private async commit(what: string, compares: (readonly [string, "Create" | "Mod", "==", number | string])[], ops: Parameters<ReturnType<Etcd3["if"]>["then"]>): Promise<void> {
    if (!compares.length) return;
    const [first, ...rest] = compares;
    let txn = this.etcd.if(first![0], first![1], first![2], first![3]);
    for (const c of rest) txn = txn.and(c[0], c[1], c[2], c[3]);
    const r = await txn.then(...ops).commit();
    if (!r.succeeded) throw new EngineError("NAME_IN_USE", `${what}: another node changed it meanwhile; nothing was applied`, { hint: "run the command again" });
  }

  /** Put back what a write replaced (an undo after the local apply failed). */
  private async restore(before: Map<string, Read>): Promise<void> {
    const ops = [...before].map(([k, r]) => (r.value === undefined ? this.etcd.delete().key(k) : this.etcd.put(k).value(r.value)));
    if (ops.length) await this.etcd.if(SERVICES, "Version", "!=", -1).then(...ops).commit();
  }

  async close(): Promise<void> {
    this.mirrorLoop.close();
    await Promise.all(this.watchers.map((w) => w.cancel().catch(() => undefined)));
  }
}

/** A policy record's key, as the engine names it (ns/name, cnp:ns/name, ccnp:name). */
const policyRef = (r: PolicyRecord) => policyName(r.policy);
