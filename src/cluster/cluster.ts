// A node's part in a cluster: the etcd connection, its membership, its pod blocks and the overlay.
// One loop keeps the kernel in step with etcd: a watch on /ponton/ (the client resumes it from its
// last revision after a reconnect) schedules a sync, and a sync reads the state whole and applies it.
import type { Etcd3, Watcher } from "etcd3";
import { connectEtcd } from "./etcd";
import type { EngineError } from "../errors";
import { ClusterIpam } from "./overlay/cluster-ipam";
import { L2Leases, type L2LeaseOptions } from "./l2/l2-leases";
import { ROOT } from "./keys";
import { LeaseKeeper } from "./lease-keeper";
import { Membership } from "./membership";
import { sourceAddressTowards } from "./node-address";
import type { ClusterOptions } from "./options";
import type { NodeView } from "./node-view";
import { applyNativeRoutes, PONTON_ROUTE_PROTO } from "./overlay/native-routes";
import { tunnelChanges } from "./overlay/tunnel-changes";
import { agreeRoutingMode, type RoutingMode } from "./overlay/routing-mode";
import { tunnelPlan, vtepAddress, type Tunnel } from "./overlay/tunnels";
import { applyTunnelChanges, applyTunnels, ensureVtepAddress, ensureVxlan, linkLocalOf, removeVtepAddress, underlayOf, VXLAN_DEV, VXLAN_OVERHEAD } from "./overlay/vxlan";
import { removeClusterNetwork } from "./overlay/network-removal";
import type { ClusterGate } from "../engine/cluster/cluster-gate";
import type { Service } from "../model/services/service";
import type { Namespace, PolicyRecord } from "../model/types";
import { ClusterObjects } from "./cluster-objects";
import { Rerun } from "./loop";
import { RemoteWorkloads } from "./workloads/remote-workloads";
import { WorkloadPublisher } from "./workloads/workload-publisher";
import { allNodeFlows, clusterToken, servePeers, type LocalFlows, type LocalFollow } from "./flows/flow-relay";
import { AllNodesFollow, type FollowLine } from "./flows/flow-follow";
import type { Server } from "node:http";
import type { WorkloadRecord } from "./workloads/workload-records";
import { RemoteState } from "./workloads/remote-state";
import { allNodeWorkloads, callPeer, peerWorkloads, placementTarget, runOnPeer, type LocalWorkloads } from "./workloads/placement";
import { findOwner, forwardRequest, forwardUpgrade, localPath, peerLocalRoutes, writeRawError, type LocalApi } from "./workloads/remote-commands";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WorkloadNames } from "./workloads/workload-names";
import { OverlayEvents } from "./overlay/overlay-events";
import type { ClusterNetworkSpec } from "./overlay/blocks";
import { ClusterTemplates } from "./templates/cluster-templates";
import { ClusterPools } from "./lb/cluster-pools";
import type { LbPool } from "../model/lb/lb-pool";
import { peerTemplates, TemplateRouter, type LocalTemplates } from "./templates/template-peers";

/** What the cluster needs from the local engine (the daemon wires it). */
export interface LocalSide {
  /** The node's piece of a cluster network: a local bridge network on its block. */
  /** `mtu`: the overlay's, so pods never send what VXLAN must fragment or drop. */
  /** `block6`: the node's IPv6 block of a dual-stack or IPv6-only (no `block`) cluster network. */
  ensureNetwork(name: string, block: string | undefined, mtu: number, block6?: string): Promise<void>;
  /** `owned`: the interfaces are Ponton's (the VXLAN device), not the host's own underlay. */
  setOverlay(o: { ifnames: string[]; cidrs4: string[]; cidrs6: string[]; owned: boolean; hostSource?: boolean }): Promise<void>;
  workloads(): number;
  /** The node's workloads on cluster networks, as published. */
  records(node: string): WorkloadRecord[];
  /** Services and policies go through the gate; the compilers see the remote workloads. */
  attach(gate: ClusterGate, onChanged: () => void): void;
  /** The remote workload table changed: recompile over it. */
  remoteChanged(): Promise<void>;
  mirrorServices(records: Service[]): Promise<void>;
  mirrorPolicies(records: PolicyRecord[]): Promise<void>;
  mirrorNamespaces(records: Namespace[]): Promise<void>;
  mirrorLbPools(records: LbPool[]): Promise<void>;
  /** This node's flow records (what GET /v1/flows answers). */
  flows: LocalFlows;
  /** This node's workloads, listed and made for another node (`run --node`, the cluster-wide `ls`). */
  workloadsApi: LocalWorkloads;
  /** This node's templates, listed and changed for another node (their owner is this one). */
  templatesApi: LocalTemplates;
  /** This node's new flow records as they are recorded. */
  followFlows: LocalFollow;
  /** This node's workloads on its piece of cluster network NAME. */
  networkUsers(name: string): string[];
  /** Remove this node's pieces of cluster networks not in `keep` (removed cluster-wide). */
  dropNetworks(keep: string[]): Promise<void>;
  /** This node's own workload routes, for another node's `inspect`/`rm`/`exec`… (remote-commands.ts). */
  api: LocalApi;
}

export class Cluster {
  private watcher: Watcher | undefined;
  private closed = false;
  private readonly syncLoop = new Rerun("sync", () => this.syncOnce());
  private applied: Tunnel[] = [];
  /**
   * The plan last applied to the kernel, as text: a sync with the same plan touches nothing, a new
   * plan changes only what moved; "" (first sync, reconnect, a failed apply): the kernel is listed and made whole.
   */
  private appliedKey = "";
  private readonly vteps = new Set<string>();
  /** Which etcd events can move the overlay (heartbeats and workload records cannot). */
  readonly overlayFilter = new OverlayEvents();
  private cidrs = "";
  private l2: L2Leases | undefined;
  readonly ipam: ClusterIpam;
  readonly remote: RemoteWorkloads;
  private readonly publisher: WorkloadPublisher;
  private readonly objects: ClusterObjects;
  private readonly templateRecords: ClusterTemplates;
  private readonly pools: ClusterPools;
  /** Templates across nodes: each change goes to the template's owner (template-peers.ts). */
  readonly templates: TemplateRouter;
  private readonly remoteLoop: Rerun;
  private flowToken = "";
  private readonly names: WorkloadNames;
  private flowPeers: Server | undefined;

  private constructor(
    private readonly etcd: Etcd3,
    readonly membership: Membership,
    private readonly local: LocalSide,
    private readonly podMtu: number,
    readonly routing: RoutingMode,
    private readonly underlayIf: string,
  ) {
    this.ipam = new ClusterIpam(etcd);
    this.names = new WorkloadNames(etcd, membership.spec.nodeName);
    this.remoteLoop = new Rerun("apply remote workloads", () => local.remoteChanged());
    this.remote = new RemoteWorkloads(etcd, () => void this.remoteLoop.run());
    this.publisher = new WorkloadPublisher(etcd, membership, () => local.records(membership.spec.nodeName));
    this.pools = new ClusterPools(etcd, (r) => local.mirrorLbPools(r));
    this.templateRecords = new ClusterTemplates(etcd, membership.spec.nodeName);
    this.templates = new TemplateRouter(membership.spec.nodeName, this.templateRecords, () => this.nodes(), () => this.flowToken, local.templatesApi);
    this.objects = new ClusterObjects(etcd, { services: (r) => local.mirrorServices(r), policies: (r) => local.mirrorPolicies(r), namespaces: (r) => local.mirrorNamespaces(r) });
  }

  /** Workloads, services and policies across nodes (after the overlay's first sync made the local pieces). */
  private async shareObjects(): Promise<void> {
    const self = this.nodeName;
    await this.remote.start();
    const remoteState = new RemoteState(this.remote, self);
    this.local.attach(
      {
        services: (put, removed) => this.objects.services(put, removed),
        policies: (put, removed) => this.objects.policies(put, removed),
        namespace: (name, next, prev) => this.objects.namespace(name, next, prev),
        template: (next, prev) => this.templateRecords.write(next, prev),
        pools: (put, removed) => this.pools.write(put, removed),
        reserveName: (name) => this.names.reserve(name),
        releaseName: (name) => this.names.release(name),
        remoteWorkloads: () => [...this.remote.records.values()].filter((r) => r.node !== self),
        extend: (state) => remoteState.extend(state),
      },
      () => void this.publisher.publish(),
    );
    this.membership.onRegistered = () => void this.publisher.publish();
    // Pools before services: a service mirrored here finds the pool its address came from.
    await this.pools.start();
    await this.objects.start();
    await this.remoteLoop.run();
    await this.publisher.publish();
    this.flowToken = await clusterToken(this.etcd);
    const workloads = peerWorkloads(this.local.workloadsApi);
    const templates = peerTemplates(this.local.templatesApi);
    const byName = peerLocalRoutes(this.local.api);
    this.flowPeers = await servePeers(
      this.membership.spec.address,
      this.flowToken,
      this.local.flows,
      this.local.followFlows,
      async (req, url, res) => (await workloads(req, url, res)) || (await templates(req, url, res)) || byName(req, url, res),
      (req, socket, head) => {
        const path = localPath(new URL(req.url ?? "/", "http://peer"));
        if (path === undefined) return writeRawError(socket, 404, JSON.stringify({ error: { code: "NOT_FOUND", message: `no peer route ${req.url}` } }));
        req.url = path;
        this.local.api.upgrade(req, socket, head);
      },
    );
  }

  /** The other node that runs workload NAME, or undefined when none does (see remote-commands.ts). */
  async ownerOf(name: string, namespace?: string): Promise<NodeView | undefined> {
    const nodes = await this.nodes();
    return findOwner({ self: this.nodeName, name, ...(namespace !== undefined ? { namespace } : {}), nodes, records: this.remote.records.values(), listOf: (n) => callPeer(n, this.flowToken, "GET", undefined, 5000) });
  }

  /** Answer an API request about a workload of `node` with that node's answer. */
  forward(node: NodeView, method: string, path: string, body: Buffer, res: ServerResponse): Promise<void> {
    return forwardRequest(node, this.flowToken, method, path, body, res);
  }

  /** Pipe an upgraded request (`exec`) to `node`. */
  forwardUpgrade(node: NodeView, req: IncomingMessage, path: string, socket: Duplex, head: Buffer): void {
    forwardUpgrade(node, this.flowToken, req, path, socket, head);
  }

  /** `observe --all-nodes`: every Ready node's records merged by time, each with its node. */
  async allFlows(params: URLSearchParams) {
    return allNodeFlows(this.nodeName, await this.nodes(), this.flowToken, this.local.flows, params);
  }

  /** `run --node N` for another node N: N makes it (placement.ts). */
  async runOn(node: string, spec: Record<string, unknown>): Promise<unknown> {
    return runOnPeer(placementTarget(await this.nodes(), node), this.flowToken, spec);
  }

  /** The cluster-wide `ls`: every Ready node's workloads with their node. */
  async allWorkloads() {
    return allNodeWorkloads(this.nodeName, await this.nodes(), this.flowToken, this.local.workloadsApi);
  }

  /** `observe --all-nodes --follow`: the merged past, then every Ready node's new records as they come (see flow-follow.ts). */
  async followAllFlows(params: URLSearchParams, emit: (line: FollowLine) => void): Promise<AllNodesFollow> {
    const f = new AllNodesFollow(this.nodeName, () => this.nodes(), this.flowToken, this.local.flows, this.local.followFlows, params, emit);
    await f.start();
    return f;
  }

  static async join(opts: ClusterOptions, local: LocalSide): Promise<Cluster> {
    const address = opts.nodeIp ?? (await sourceAddressTowards(opts.endpoints[0]!));
    const underlay = await underlayOf(address);
    const etcd = connectEtcd(opts.endpoints, opts.credentials);
    const keeper = new LeaseKeeper({ endpoints: opts.endpoints, ...(opts.credentials ? { credentials: opts.credentials } : {}) });
    const membership = new Membership(etcd, { nodeName: opts.nodeName, address, leaseTtlS: opts.leaseTtlS }, local.workloads, keeper);
    let routing: RoutingMode;
    try {
      // Join before touching the kernel: when etcd does not answer, nothing was made.
      routing = await agreeRoutingMode(etcd, opts.routing);
      await membership.join();
      if (routing === "vxlan") membership.spec.vtepMac = await ensureVxlan(address, underlay);
      else membership.spec.linkLocal6 = await linkLocalOf(underlay.ifname);
      await membership.refresh();
    } catch (e) {
      await membership.close();
      etcd.close();
      throw e;
    }
    const cluster = new Cluster(etcd, membership, local, underlay.mtu - (routing === "vxlan" ? VXLAN_OVERHEAD : 0), routing, underlay.ifname);
    // Watch first, then sync: nothing written between the two is missed.
    cluster.watcher = await etcd.watch().prefix(ROOT).create();
    cluster.watcher.on("data", (res) => {
      if (res.events.some((e) => cluster.overlayFilter.moves(e.kv.key.toString(), e.type === "Put" ? e.kv.value.toString() : undefined))) void cluster.sync();
    });
    // After a reconnect the watch resumes, but the kernel is checked whole once (what was missed, or drifted).
    cluster.watcher.on("connected", () => void cluster.sync(true));
    cluster.watcher.on("error", (e) => console.error(`pontond: cluster: watch: ${e.message}`));
    await cluster.sync();
    await cluster.shareObjects();
    return cluster;
  }

  get nodeName(): string {
    return this.membership.spec.nodeName;
  }

  /**
   * Run a sync; if one is running, run once more after it (the state may have moved meanwhile); a
   * failed one is retried. `whole`: apply the tunnels even if the plan is the one applied last.
   */
  sync(whole = false): Promise<void> {
    if (whole) {
      this.appliedKey = "";
      this.vteps.clear();
    }
    return this.syncLoop.run();
  }

  private async syncOnce(): Promise<void> {
    if (this.closed) return;
    const networks = await this.ipam.networks();
    const held = new Set<string>();
    for (const n of networks) {
      const blocks = await this.ipam.claim(n, this.nodeName);
      const block = blocks.find((b) => !b.includes(":"));
      const block6 = blocks.find((b) => b.includes(":"));
      for (const b of blocks) held.add(b);
      await this.local.ensureNetwork(n.name, block, this.podMtu, block6);
      for (const b of this.routing === "vxlan" ? [block, block6] : []) {
        if (b === undefined || this.vteps.has(b)) continue;
        await ensureVtepAddress(vtepAddress(b));
        this.vteps.add(b);
      }
    }
    // Networks removed cluster-wide (network-removal.ts): their VTEP addresses and local pieces go.
    for (const b of [...this.vteps].filter((x) => !held.has(x))) {
      await removeVtepAddress(vtepAddress(b));
      this.vteps.delete(b);
    }
    await this.local.dropNetworks(networks.map((n) => n.name));
    const cidrs4 = networks.flatMap((n) => (n.subnet ? [n.subnet] : [])).sort();
    const cidrs6 = networks.flatMap((n) => (n.subnet6 ? [n.subnet6] : [])).sort();
    if ([...cidrs4, ...cidrs6].join() !== this.cidrs) {
      // Natively routed pods arrive on the host's own underlay interface: let cluster traffic in from
      // it, without making it an interface of ours (the host stays no open router for the rest); what
      // the host itself sends to another node's pods leaves from its gateway there (overlay-source.ts).
      await this.local.setOverlay(this.routing === "vxlan" ? { ifnames: [VXLAN_DEV], cidrs4, cidrs6, owned: true } : { ifnames: [this.underlayIf], cidrs4, cidrs6, owned: false, hostSource: true });
      this.cidrs = [...cidrs4, ...cidrs6].join();
    }
    const tunnels = tunnelPlan(this.nodeName, await this.membership.list(), this.routing === "native");
    const key = JSON.stringify(tunnels);
    if (key === this.appliedKey) return;
    const whole = this.appliedKey === "";
    this.appliedKey = "";
    if (whole) await (this.routing === "vxlan" ? applyTunnels(tunnels) : applyNativeRoutes(tunnels, this.underlayIf));
    else await applyTunnelChanges(this.routing === "vxlan" ? tunnelChanges(this.applied, tunnels, VXLAN_DEV) : tunnelChanges(this.applied, tunnels, this.underlayIf, { proto: PONTON_ROUTE_PROTO }));
    this.applied = tunnels;
    this.appliedKey = key;
  }

  /** What the overlay forwards now: block → node address (as `cilium bpf tunnel list`). */
  tunnels(): Tunnel[] {
    return this.applied;
  }

  async createNetwork(spec: ClusterNetworkSpec) {
    const n = await this.ipam.create(spec);
    await this.sync();
    return n;
  }

  /** `network rm` of a cluster network (network-removal.ts); this node's piece is gone when it returns. */
  async removeNetwork(name: string): Promise<{ removed: string; blocks: number }> {
    const nodes = await this.nodes().catch((e: EngineError) => Promise.reject(e.within(`network rm ${name}`)));
    const r = await removeClusterNetwork(this.etcd, name, { self: this.nodeName, nodes, localUsers: () => this.local.networkUsers(name), listOf: (n) => callPeer(n, this.flowToken, "GET", undefined, 5000) });
    await this.sync();
    return { removed: name, ...r };
  }

  /** One L2 announcer per address: this node's etcd lease and claims (see l2-leases.ts). */
  async startL2Leases(opts: L2LeaseOptions, onChange: () => void): Promise<L2Leases> {
    const l2 = new L2Leases(this.etcd, this.nodeName, opts, onChange);
    await l2.start();
    this.l2 = l2;
    return l2;
  }

  nodes(): Promise<NodeView[]> {
    return this.membership.list();
  }

  removeNode(name: string) {
    return this.membership.remove(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.syncLoop.close();
    this.flowPeers?.close();
    this.publisher.close();
    this.remoteLoop.close();
    await this.objects.close();
    await this.pools.close();
    await this.remote.close();
    await this.watcher?.cancel().catch(() => undefined);
    await this.l2?.close();
    await this.membership.close();
    this.etcd.close();
  }
}
