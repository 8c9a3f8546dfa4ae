// The engine: composes store, kernel and supervisor, serialises every change, and exposes use cases.
import { probeTproxy, type TproxyInfo } from "./l7/tproxy-support";
import os from "node:os";
import path from "node:path";
import { EngineError } from "../errors";
import { Kernel, ProcessExecutor, type Executor } from "../kernel";
import { SqliteStore } from "../store";
import type { Namespace, PolicyRecord, UserRule } from "../model/types";
import type { Service } from "../model/services/service";
import type { ClusterGate } from "./cluster/cluster-gate";
import { mirrorNamespaces, mirrorPolicies, mirrorServices } from "./cluster/cluster-mirror";
import { mirrorLbPools } from "./cluster/pool-mirror";
import { logDir, portHolderSocket, storeFile, type EngineConfig } from "./config";
import { HolderClient } from "../ports";
import { syncHeldPorts } from "./published-ports";
import { EngineL7 } from "./l7/l7-proxy";
import { privateDatabase, privateDir, privateFilesDir } from "./files/private-files";
import { startFlowOffload, type FlowOffloadInfo } from "./dataplane/flow-offload";
import { probeCtLabels } from "./dataplane/ct-labels";
import type { EngineContext } from "./context";
import { parseProjectFile } from "../model/project/project-file";
import { projectDown, projectUp } from "./project";
import { NftSync } from "./sync/nft-sync";
import { firewallInfo } from "./sync/firewall-info";
import { ExitHandler } from "./workloads/process-exits";
import { reconcile, type ReconcileReport } from "./sync/reconcile";
import { syncInputs, syncsAfter, type ChangeKind } from "./sync/after-change";
import { Serial } from "./serial";
import { dnsMetrics } from "./dns/dns-metrics";
import { EngineDns } from "./dns/dns";
import { dnsViews, viewName } from "./dns/dns-records";
import { setNetworkDns } from "./dns/network-dns";
import { embeddedDnsVia } from "./dns/workload-files";
import { Supervisor } from "./workloads/supervisor";
import { networkView, portViews, workloadView } from "./views";
import { createNetwork, ensureBuiltinNetworks, removeNetwork, type NetworkSpec } from "./networks/networks";
import { connectWorkload, disconnectWorkload, getWorkload, removeWorkload, runWorkload, startWorkload, stopWorkload } from "./workloads/workloads";
import type { AttachSpec, RunSpec } from "../model/workloads/workload-spec";
import { networksById } from "./workloads/endpoints";
import type { ServiceSpec } from "../model/services/service-spec";
import { checkRunShape } from "../model/request-shapes";
import { serviceNamespace } from "../model/services/service";
import { ServiceMonitor } from "./services/services-monitor";
import { serviceView } from "./services/service-views";
import { parseServiceManifests } from "../model/services/k8s-service";
import { parseLbPoolManifests, type LbPool } from "../model/lb/lb-pool";
import { parseBgpPolicyManifests } from "../model/lb/bgp-policy";
import { bgpPlan } from "../compile/bgp/bgp-plan";
import { BgpSpeaker } from "./bgp/speaker";
import { applyBgpPolicies } from "./bgp/bgp-policies";
import { parseL2PolicyManifests } from "../model/lb/l2-policy";
import { l2Plan } from "../compile/l2/l2-plan";
import { L2Announcer, readLinks, type L2Arbiter } from "./l2/announcer";
import { L2LinkWatch } from "./l2/link-watch";
import { applyL2Policies } from "./l2/l2-policies";
import { applyLbPools, lbPoolViews } from "./services/lb-pools";
import { applyServices, createService, createServices, getService, removeService, serviceHostPortClash, updateService } from "./services/services";
import { normalizePorts } from "../model/workloads/workload-spec";
import { createNamespace, labelNamespace, labelWorkload, listNamespaces, type LabelEdits } from "./policy/namespaces";
import { removeNamespace } from "./policy/remove-namespace";
import { applyPolicyText, explainPolicy, policyViews, removePolicy } from "./policy/policies";
import { whatIfPolicy } from "./policy/what-if";
import { EngineFlows } from "./flows/flows";
import { EngineFqdn } from "./policy/fqdn";
import { explainDnsName, withLearnedAddresses } from "./policy/fqdn-explain";
import { policyLogFile } from "./policy/policy-log";
import { counter, gauge, type FlowQuery, type FlowRecord } from "../flows";
import { Healer } from "./heal/healer";
import { dropVanishedNetnsWorkloads } from "./heal/repair-links";
import { healMetrics } from "./heal/heal-metrics";
import { convergeTemplates, createTemplate, removeTemplate, scaleTemplates, templateViews } from "./workloads/templates";

export class Engine {
  readonly ctx: EngineContext;
  private readonly serial = new Serial();
  private readonly exits: ExitHandler;
  /** Repairs damage to our table, links and namespaces as the kernel reports it. */
  readonly healer: Healer;
  readonly services: ServiceMonitor;
  /** Embedded DNS (off when config.dnsPort is 0). */
  readonly dns: EngineDns | undefined;
  readonly flows: EngineFlows;
  /** The HTTP proxy for ports guarded by CiliumNetworkPolicy HTTP rules (src/l7). */
  readonly l7: EngineL7;
  /** CiliumNetworkPolicy rules.dns and toFQDNs at the resolver and in the kernel's FQDN maps. */
  readonly fqdn: EngineFqdn;
  /** FRR's bgpd, announcing LoadBalancer addresses (see engine/bgp/speaker.ts). */
  readonly bgp: BgpSpeaker;
  /** pontond --flow-offload as the kernel allows it (set at start, before the table is written). */
  flowOffload: FlowOffloadInfo | undefined;
  /** Whether egress HTTP rules can be proxied (the kernel's TPROXY), probed at start. */
  tproxy: TproxyInfo | undefined;
  /** Flow records one per connection (conntrack labels), or why not. */
  flowRecordsPerConnection: { active: boolean; reason?: string } | undefined;
  /** bin/ponton-l2, answering ARP/NDP for LoadBalancer addresses (see engine/l2/announcer.ts). */
  readonly l2 = new L2Announcer();
  /** Links appearing or renamed re-plan the L2 answers at once (while an L2 policy exists). */
  private readonly l2Links = new L2LinkWatch(() => void this.resyncL2().catch(() => undefined));

  constructor(config: EngineConfig, exec: Executor = new ProcessExecutor()) {
    privateDir(config.stateDir);
    privateFilesDir(logDir(config));
    privateDatabase(storeFile(config));
    const kernel = new Kernel(exec);
    // After an exit the workload may stop being a service endpoint: re-sync (a no-op diff otherwise).
    const onExit = async (e: { workloadId: string; pid: number; exitCode?: number | undefined }) => {
      await this.exits.exited(e.workloadId, e.pid, e.exitCode);
      await this.ctx.nft.sync(this.ctx.store.state());
      // A headless service's answers follow its ready endpoints, and announcements too.
      await this.syncDns();
      await this.syncBgp();
      await this.syncL2();
      this.onChanged?.();
    };
    const supervisor = new Supervisor(logDir(config), (e) => this.serial.run(() => onExit(e)).catch(() => undefined));
    this.ctx = { config, store: new SqliteStore(storeFile(config)), exec, kernel, nft: new NftSync(kernel), supervisor, ports: new HolderClient(portHolderSocket(config), path.join(logDir(config), "port-holder.log")) };
    this.fqdn = new EngineFqdn(this.ctx, config.fqdnGraceSeconds);
    this.ctx.nft.carry = (plan) => this.fqdn.carry(plan.policy.sets.map((s) => s.name));
    this.dns = config.dnsPort > 0 ? new EngineDns({ domain: config.dnsDomain, port: config.dnsPort, hostResolvConf: config.hostResolvConf }, this.fqdn) : undefined;
    this.exits = new ExitHandler(this.ctx, (op) => void this.serial.run(op).catch(() => undefined));
    this.ctx.nft.options = { flowLog: config.flowLog, forwardOthers: config.forwardOthers, dnsPort: config.dnsPort, policyDelta: config.policyDelta };
    this.flows = new EngineFlows(this.ctx);
    this.l7 = new EngineL7(this.ctx, this.flows);
    this.ctx.nft.beforeCommit = (plan) => this.l7.beforeCommit(plan);
    this.fqdn.record = (r) => this.flows.collector.ring.push({ ...r, seq: this.flows.collector.ring.nextSeq() });
    this.fqdn.endpoint = (ip) => this.flows.collector.endpoint(ip);
    this.bgp = new BgpSpeaker(path.join(config.stateDir, "bgp"), exec);
    this.healer = new Healer(this.ctx, (op) => this.serial.run(op), (what, ms) => {
      console.error(`pontond: repaired ${what.join("; ")} in ${Math.round(ms)} ms`);
      this.flows.invalidate();
      void this.serial.run(() => this.syncDns()).catch(() => undefined);
    });
    this.services = new ServiceMonitor(this.ctx, () =>
      this.serial.run(async () => {
        await this.ctx.nft.sync(this.ctx.store.state());
        await this.syncDns();
        await this.syncBgp();
        await this.syncL2();
      }),
    );
  }

  /** Start-up: reconcile the kernel with the store, then watch our table for damage. */
  async start(): Promise<ReconcileReport> {
    // First: `--flow-offload on` on a kernel without flowtables stops start-up before anything runs.
    [this.flowOffload, this.tproxy, this.flowRecordsPerConnection] = await Promise.all([startFlowOffload(this.ctx), probeTproxy(this.ctx), probeCtLabels(this.ctx)]);
    // Listening before the table is written: the first logged packet is not lost.
    await this.flows.start();
    await this.l7.reattach();
    const report = await this.serial.run(async () => {
      ensureBuiltinNetworks(this.ctx);
      // What toFQDNs answers opened before a restart is still in the kernel: carried through the reload below.
      await this.fqdn.relearn();
      await dropVanishedNetnsWorkloads(this.ctx);
      const r = await reconcile(this.ctx);
      const replicas = await convergeTemplates(this.ctx);
      // The holder kept the ports through the restart; one that was lost (the holder died) is taken again here.
      return { ...r, replicas, portsNotHeld: await syncHeldPorts(this.ctx) };
    });
    await this.dns?.start();
    await this.serial.run(() => this.syncDns());
    await this.serial.run(() => this.syncBgp());
    await this.serial.run(() => this.syncL2());
    for (const name of report.deadProcesses) {
      const w = this.ctx.store.workload(name);
      if (w?.pid) void this.serial.run(() => this.exits.exited(w.id, w.pid!, undefined));
    }
    // Damage from here on is reported by the kernel as it happens; a missing bin/ponton-watch stops start-up.
    await this.healer.start();
    this.healer.follow(this.ctx.store.state());
    this.services.start();
    return report;
  }

  close(): void {
    this.healer.stop();
    this.services.stop();
    this.bgp.close();
    this.l2.close();
    this.l2Links.close();
    this.flows.stop();
    this.ctx.supervisor.close();
    // The port holder stays: it holds the ports until the next pontond takes over.
    this.ctx.ports.close();
    this.l7.close();
    this.ctx.kernel.close();
    this.ctx.exec.close?.();
    void this.dns?.close();
    this.ctx.store.close();
  }

  /** Every change runs alone, then DNS catches up (names appear and go within the same turn); `kind`: see sync/after-change.ts. */
  private change<T>(op: () => Promise<T>, kind: ChangeKind = "any"): Promise<T> {
    return this.serial.run(async () => {
      const before = kind === "any" ? undefined : this.syncInputs();
      try {
        return await op();
      } finally {
        this.flows.invalidate();
        const syncs = syncsAfter(kind, before, () => this.syncInputs());
        if (syncs.includes("follow")) this.healer.follow(this.ctx.store.state());
        if (syncs.includes("ports")) await this.syncPorts();
        if (syncs.includes("dns")) await this.syncDns();
        if (syncs.includes("bgp")) await this.syncBgp();
        if (syncs.includes("l2")) await this.syncL2();
        this.onChanged?.();
      }
    });
  }
  private syncInputs() {
    return syncInputs(this.ctx.store, this.ctx.nft.runtime.unhealthy);
  }

  /** Cluster mode: called after every change and workload exit (the node republishes its workloads). */
  onChanged: (() => void) | undefined;

  /** Cluster mode: services and policies go through the cluster store; the compilers see every node's workloads. */
  joinCluster(gate: ClusterGate): void {
    this.ctx.cluster = gate;
    this.ctx.nft.extend = (state) => gate.extend(state);
  }
  /**
   * The other nodes' workloads changed: recompile services, policy and DNS over them. Only those: the
   * ports, healer, BGP, L2 and this node's published records read its own store, which did not move.
   */
  remoteWorkloadsChanged() {
    return this.serial.run(async () => {
      try {
        await this.ctx.nft.sync(this.ctx.store.state());
      } finally {
        this.flows.invalidate();
        await this.syncDns();
      }
    });
  }
  /** The cluster's services and policies (all of them, as etcd has them) into the local store. */
  mirrorServices(records: Service[]) {
    return this.change(() => mirrorServices(this.ctx, records));
  }
  mirrorPolicies(records: PolicyRecord[]) {
    return this.change(() => mirrorPolicies(this.ctx, records), "policies");
  }
  mirrorNamespaces(records: Namespace[]) {
    return this.change(() => mirrorNamespaces(this.ctx, records));
  }
  mirrorLbPools(records: LbPool[]) {
    return this.change(() => mirrorLbPools(this.ctx, records));
  }

  /** Releases the ports of what went and points relays where workloads are now. */
  private async syncPorts(): Promise<void> {
    const lost = await syncHeldPorts(this.ctx).catch((e: Error) => [e.message]);
    if (lost.length) console.error(`pontond: published ports not held: ${lost.join("; ")}`);
  }

  /** The speaker follows the policies, LoadBalancer addresses and ready endpoints. */
  private async syncBgp(): Promise<void> {
    const nodeLabels = { "kubernetes.io/hostname": os.hostname(), ...this.ctx.config.nodeLabels };
    await this.bgp.apply(bgpPlan(this.ctx.store.state(), this.ctx.store.bgpPolicies(), nodeLabels, this.ctx.nft.runtime.unhealthy)).catch((e: Error) => {
      console.error(`pontond: BGP speaker: ${e.message}`);
    });
  }

  /** The ARP/NDP responder follows the L2 policies, the services' addresses and this host's links. */
  private async syncL2(): Promise<void> {
    const policies = this.ctx.store.l2Policies();
    this.l2Links.follow(policies.length > 0);
    if (this.l2ArbiterExpected && !this.l2Arbiter) return;
    try {
      const links = policies.length ? await readLinks(this.ctx.exec) : [];
      const arbiter = this.l2Arbiter;
      const plan = l2Plan(this.ctx.store.state(), policies, this.nodeLabels(), links, this.ctx.nft.runtime.unhealthy, arbiter ? (ip) => arbiter.holds(ip) : undefined);
      arbiter?.want(plan.wanted);
      await this.l2.apply(plan);
    } catch (e) {
      console.error(`pontond: L2 announcements: ${(e as Error).message}`);
    }
  }

  private l2Arbiter: L2Arbiter | undefined;
  /** Cluster mode, set before start: nothing is answered until the arbiter is there (no node announces everything at start). */
  private l2ArbiterExpected = false;
  expectL2Arbiter(): void {
    this.l2ArbiterExpected = true;
  }
  /** Cluster mode: the etcd leases decide which node answers for each address; called again when they move. */
  setL2Arbiter(arbiter: L2Arbiter): Promise<void> {
    this.l2Arbiter = arbiter;
    return this.resyncL2();
  }
  /** The arbiter saw the holders change: answer (and announce) what this node holds now. */
  resyncL2(): Promise<void> {
    return this.serial.run(() => this.syncL2());
  }

  private nodeLabels(): Record<string, string> {
    return { "kubernetes.io/hostname": os.hostname(), ...this.ctx.config.nodeLabels };
  }

  /** `ponton l2-policy apply`: CiliumL2AnnouncementPolicy manifests, parsed before anything changes. */
  applyL2Policies(yamlText: string) {
    const policies = parseL2PolicyManifests(yamlText);
    return this.change(async () => applyL2Policies(this.ctx, policies));
  }
  removeL2Policies(names: string[], missingOk = false) {
    return this.change(async () => applyL2Policies(this.ctx, [], { remove: names, missingOk }));
  }
  listL2Policies() {
    return this.ctx.store.l2Policies();
  }
  /** `ponton l2-policy status`: the responder's coded state, interfaces and addresses. */
  l2Status() {
    return { ...this.l2.state, ...(this.l2Arbiter ? { holders: this.l2Arbiter.holdersView() } : {}) };
  }

  /** `ponton bgp apply`: CiliumBGPPeeringPolicy manifests, parsed before anything changes. */
  applyBgpPolicies(yamlText: string) {
    const policies = parseBgpPolicyManifests(yamlText);
    return this.change(async () => applyBgpPolicies(this.ctx, policies));
  }
  removeBgpPolicies(names: string[], missingOk = false) {
    return this.change(async () => applyBgpPolicies(this.ctx, [], { remove: names, missingOk }));
  }
  listBgpPolicies() {
    return this.ctx.store.bgpPolicies();
  }
  /** `ponton bgp status`: the speaker's coded state and its sessions as it reports them. */
  async bgpStatus() {
    return { ...this.bgp.state, peers: await this.bgp.peers() };
  }

  private async syncDns(): Promise<void> {
    await this.dns?.sync(this.ctx.nft.served(this.ctx.store.state()), this.ctx.nft.runtime.unhealthy);
    this.dns?.policyWatches(this.fqdn.setPlan(this.ctx.nft.current?.policy));
  }

  /** Cluster mode: the firewall lets pod traffic in from the overlay and leaves it un-NATed between cluster ranges. */
  setOverlay(overlay: { ifnames: string[]; cidrs4: string[]; cidrs6: string[]; owned: boolean; hostSource?: boolean }): Promise<void> {
    return this.change(async () => {
      this.ctx.nft.options = { ...this.ctx.nft.options, overlay };
      await this.ctx.nft.sync(this.ctx.store.state());
    });
  }

  // DNS
  dnsRecords(network?: string) {
    const state = this.ctx.nft.served(this.ctx.store.state());
    const names = new Map(state.networks.map((n) => [n.id, n.name]));
    if (network !== undefined && !this.ctx.store.network(network)) throw new EngineError("NETWORK_NOT_FOUND", `network ${network} not found`);
    return [...dnsViews(state, this.ctx.config.dnsDomain, this.ctx.nft.runtime.unhealthy)]
      .map(([id, records]) => ({ network: viewName(id, names), records }))
      .filter((v) => network === undefined || v.network === network);
  }
  dnsQuery(name: string, type: string, from: string) {
    if (!this.dns) throw new EngineError("UNSUPPORTED", "the embedded DNS is off (pontond --dns-port 0)");
    const w = this.inspect(from);
    // Asked from the address its resolv.conf's nameserver is reached by (sealed or not goes by it).
    const atts = this.ctx.store.attachmentsOf(w.id);
    const via = embeddedDnsVia(atts, new Map(this.ctx.store.networks().map((n) => [n.id, n]))) ?? atts[0];
    const client = via?.ip4 ?? via?.ip6;
    if (!client) throw new EngineError("INVALID_ARGUMENT", `workload ${from} has no address to ask from`);
    return this.dns.explain(name, type, client);
  }

  // Networks
  /** The network works without its DNS listener (port taken): the response says so at once. */
  async createNetwork(spec: NetworkSpec) {
    const view = await this.change(async () => networkView(this.ctx.store, await createNetwork(this.ctx, spec)));
    const warnings = this.dns?.warningsFor([view.gateway4, view.gateway6]) ?? [];
    return warnings.length ? { ...view, warnings } : view;
  }
  setNetworkDns(name: string, servers: unknown) {
    return this.change(async () => networkView(this.ctx.store, setNetworkDns(this.ctx, name, servers)));
  }
  removeNetwork(name: string, missingOk = false) {
    return this.change(() => removeNetwork(this.ctx, name, { missingOk }));
  }
  listNetworks() {
    return this.ctx.store.networks().map((n) => networkView(this.ctx.store, n));
  }
  inspectNetwork(name: string) {
    const n = this.ctx.store.network(name);
    if (!n) throw new EngineError("NETWORK_NOT_FOUND", `network ${name} not found`);
    return networkView(this.ctx.store, n);
  }
  connect(workload: string, spec: AttachSpec) {
    return this.change(async () => {
      await connectWorkload(this.ctx, workload, spec);
      return this.inspect(workload);
    });
  }
  disconnect(workload: string, network: string) {
    return this.change(() => disconnectWorkload(this.ctx, workload, network));
  }

  // Workloads
  run(given: RunSpec) {
    return this.change(async () => {
      const spec = checkRunShape<RunSpec>("run", given);
      const clash = serviceHostPortClash(this.ctx.store.serviceLookups(), normalizePorts(spec, this.ctx.config.maxPortRange));
      if (clash) throw new EngineError("PORT_IN_USE", clash);
      return this.view(await runWorkload(this.ctx, spec));
    });
  }
  remove(name: string, opts: { missingOk?: boolean; graceMs?: number } = {}) {
    return this.change(() => removeWorkload(this.ctx, name, opts));
  }
  stop(name: string, graceMs?: number) {
    // A stopped workload stops being a service endpoint: re-sync so the maps follow.
    return this.change(async () => this.view(await this.resynced(stopWorkload(this.ctx, name, graceMs))));
  }
  startWorkload(name: string) {
    return this.change(async () => this.view(await this.resynced(startWorkload(this.ctx, name))));
  }
  // Templates: `run --replicas`, `scale`, `template ls|rm` (see templates.ts)
  createTemplate(spec: RunSpec, replicas: unknown) {
    return this.change(() => createTemplate(this.ctx, spec, replicas));
  }
  scale(wanted: Record<string, unknown>) {
    return this.change(() => scaleTemplates(this.ctx, wanted));
  }
  listTemplates() {
    return templateViews(this.ctx);
  }
  removeTemplate(name: string, missingOk = false) {
    return this.change(() => removeTemplate(this.ctx, name, missingOk));
  }
  private async resynced<T>(op: Promise<T>): Promise<T> {
    const out = await op;
    await this.ctx.nft.sync(this.ctx.store.state());
    return out;
  }

  // Services (namespace: default "default")
  createService(spec: ServiceSpec) {
    return this.change(async () => {
      const s = await createService(this.ctx, spec);
      return this.serviceView(s.name, s.namespace);
    });
  }
  createServices(specs: ServiceSpec[]) {
    return this.change(async () => (await createServices(this.ctx, specs)).map((s) => ({ name: s.name, namespace: s.namespace, vip: s.vip, vips: s.vips })));
  }
  /** `ponton service apply`: Kubernetes v1 Service manifests, parsed before anything changes, applied all or nothing. */
  applyServiceManifests(yamlText: string) {
    const specs = parseServiceManifests(yamlText);
    return this.change(() => applyServices(this.ctx, specs));
  }
  updateService(name: string, changes: Partial<ServiceSpec>, namespace?: string) {
    return this.change(async () => {
      const s = await updateService(this.ctx, name, changes, namespace);
      return this.serviceView(s.name, s.namespace);
    });
  }
  removeService(name: string, missingOk = false, namespace?: string) {
    return this.change(() => removeService(this.ctx, name, missingOk, namespace));
  }
  /** `ponton lb-pool apply`: CiliumLoadBalancerIPPool manifests, parsed before anything changes. */
  applyLbPools(yamlText: string) {
    const pools = parseLbPoolManifests(yamlText);
    return this.change(() => applyLbPools(this.ctx, pools));
  }
  removeLbPools(names: string[], missingOk = false) {
    return this.change(() => applyLbPools(this.ctx, [], { remove: names, missingOk }));
  }
  listLbPools() {
    return lbPoolViews(this.ctx);
  }
  listServices(namespace?: string) {
    const state = this.ctx.nft.extend(this.ctx.store.state());
    return (state.services ?? []).filter((s) => namespace === undefined || serviceNamespace(s) === namespace).map((s) => serviceView(state, s, this.services));
  }
  async inspectService(name: string, namespace?: string) {
    await this.services.settled();
    return this.serviceView(name, namespace);
  }
  private serviceView(name: string, namespace?: string) {
    return serviceView(this.ctx.nft.extend(this.ctx.store.state()), getService(this.ctx, name, namespace), this.services);
  }
  list() {
    const networks = networksById(this.ctx);
    return this.ctx.store.workloads().map((w) => workloadView(this.ctx.store, w, networks, this.ctx.config.netnsEtcDir));
  }
  inspect(name: string) {
    return this.view(getWorkload(this.ctx, name));
  }
  logPath(name: string): string {
    return this.ctx.supervisor.logPath(getWorkload(this.ctx, name).id);
  }
  private view(w: Parameters<typeof workloadView>[1]) {
    return workloadView(this.ctx.store, w, networksById(this.ctx), this.ctx.config.netnsEtcDir);
  }

  ports() {
    return portViews(this.ctx.store, networksById(this.ctx));
  }

  // The user hook chain
  firewallRules(): UserRule[] {
    return this.ctx.store.userRules();
  }
  addFirewallRule(rule: string, position?: number) {
    return this.change(async () => {
      if (typeof rule !== "string" || rule.trim() === "" || /[\n;{}]/.test(rule)) {
        throw new EngineError("INVALID_ARGUMENT", "a rule is one nft rule statement on one line, e.g. 'tcp dport 5678 reject'");
      }
      const state = this.ctx.store.state();
      const candidate = { ...state, userRules: [...state.userRules, { id: -1, rule: rule.trim() }] };
      try {
        await this.ctx.nft.check(candidate);
      } catch (e) {
        throw new EngineError("INVALID_ARGUMENT", `nft rejects the rule '${rule}': ${(e as Error).message.split("\n").slice(-3).join(" ")}`);
      }
      const added = this.ctx.store.addUserRule(rule.trim(), position);
      await this.ctx.nft.sync(this.ctx.store.state());
      return added;
    });
  }
  removeFirewallRule(id: number) {
    return this.change(async () => {
      if (!this.ctx.store.deleteUserRule(id)) throw new EngineError("NOT_FOUND", `no user rule with id ${id}`);
      await this.ctx.nft.sync(this.ctx.store.state());
    });
  }

  // Namespaces, labels, NetworkPolicies
  createNamespace(name: string, labels: unknown) {
    return this.change(async () => createNamespace(this.ctx, name, labels));
  }
  listNamespaces() {
    return listNamespaces(this.ctx);
  }
  removeNamespace(name: string, opts: { force?: boolean; missingOk?: boolean }) {
    return this.change(() => removeNamespace(this.ctx, name, opts));
  }
  labelNamespace(name: string, edits: LabelEdits) {
    return this.change(() => labelNamespace(this.ctx, name, edits));
  }
  labelWorkload(name: string, edits: LabelEdits) {
    return this.change(async () => this.view(await labelWorkload(this.ctx, name, edits)), "labels");
  }
  applyPolicies(text: string) {
    return this.change(() => applyPolicyText(this.ctx, text), "policies");
  }
  listPolicies() {
    return policyViews(this.ctx);
  }
  removePolicy(ref: string, missingOk = false) {
    return this.change(() => removePolicy(this.ctx, ref, missingOk), "policies");
  }
  explainPolicy(q: { from: string; to: string; port: string }) {
    return withLearnedAddresses(this.ctx, this.fqdn, q, explainPolicy(this.ctx, q));
  }
  /** `ponton policy explain --from W --dns NAME`: the rules.dns verdict and the toFQDNs rules the name's answers would open. */
  explainDns(q: { from: string; name: string }) {
    return explainDnsName(this.ctx, this.fqdn, q);
  }
  /** What pasted policies would do to the newest `limit` flow records, without applying them. */
  whatIfPolicy(text: string, limit: number) {
    return whatIfPolicy(this.ctx, text, this.flows.query({}, limit));
  }
  // Flows
  observe(q: FlowQuery, limit?: number): FlowRecord[] {
    return this.flows.query(q, limit);
  }
  followFlows(q: FlowQuery, onRecord: (r: FlowRecord) => void): () => void {
    return this.flows.follow(q, onRecord);
  }
  flowStatus() {
    return this.flows.status();
  }
  policyLogPath(): string {
    return policyLogFile(this.ctx);
  }
  metrics(): Promise<string> {
    const i = this.info();
    return this.flows.metrics([
      gauge("ponton_networks", "Networks.", i.networks),
      gauge("ponton_workloads", "Workloads.", i.workloads),
      gauge("ponton_services", "Services.", i.services),
      gauge("ponton_policies", "NetworkPolicies.", i.policies),
      counter("ponton_nft_heals_total", "Times our nftables table was changed by another process and replaced whole.", [{ value: i.nftHeals }]),
      ...healMetrics(this.healer, this.ctx.store.workloads()),
      ...dnsMetrics(this.dns?.info().counters),
      ...this.l7.metrics(),
    ]);
  }

  reconcile() {
    return this.change(async () => ({ ...(await reconcile(this.ctx)), replicas: await convergeTemplates(this.ctx) }));
  }

  /** `ponton up`: the file is parsed and validated before anything changes. */
  up(yamlText: string, defaultProject: string) {
    const file = parseProjectFile(yamlText, defaultProject);
    return this.change(() => projectUp(this.ctx, file));
  }
  down(yamlText: string, defaultProject: string) {
    const file = parseProjectFile(yamlText, defaultProject);
    return this.change(() => projectDown(this.ctx, file.project));
  }

  /** The port holder's pid and relay counters; undefined when none runs (nothing published). */
  portHolder() {
    return this.ctx.ports.status().catch(() => undefined);
  }

  info() {
    return {
      stateDir: this.ctx.config.stateDir,
      prefix: this.ctx.config.prefix,
      networks: this.ctx.store.networks().length,
      workloads: this.ctx.store.workloads().length,
      services: this.ctx.store.services().length,
      nftHeals: this.healer.counters.nftRepairs,
      heal: { ...this.healer.counters, watcherRestarts: this.healer.watcherRestarts },
      nftDiffFallbacks: this.ctx.nft.diffFallbacks,
      nftCommits: this.ctx.nft.commits,
      policies: this.ctx.store.policies().length,
      dns: this.dns?.info(),
      /** toFQDNs: learned elements alive, and the time from an answer to the kernel allowing its addresses. */
      fqdn: this.fqdn.stats(),
      flowOffload: this.flowOffload,
      l7EgressTproxy: this.tproxy,
      flowRecordsPerConnection: this.flowRecordsPerConnection,
    };
  }

  /** `ponton info`: the counters above and the firewall section (it lists the host's chains). */
  async fullInfo() {
    return { ...this.info(), firewall: await firewallInfo(this.ctx) };
  }
}
