// Use cases on services: create, update, remove. Everything is validated against the store before
// the one nft transaction; a failed apply removes the record again, so nothing is half-applied.
import { EngineError } from "../../errors";
import { networkOfAddress } from "../../compile";
import { portsCollide } from "../../model/ports";
import { hasVip, serviceNamespace, serviceRef, serviceVips, type LoadBalancerState, type Service, type ServicePort } from "../../model/services/service";
import { familyOfIp, resolveFamilies } from "../../model/services/service-families";
import { kindOf } from "../../model/services/service-kind";
import { normalizeServiceSpec, type ServiceSpec } from "../../model/services/service-spec";
import { checkServiceShape } from "../../model/request-shapes";
import { checkCount, MAX_OBJECTS } from "../../model/limits";
import type { DesiredState, PortMapping } from "../../model/types";
import type { EngineContext } from "../context";
import { syncedPut } from "../policy/namespaces";
import { putHoldingPorts } from "../published-ports";
import { newId, now } from "../ids";
import { asKernelError } from "../networks/networks";
import { validateNamespace } from "../../model/namespaces";
import { assignVips, availableFamilies, checkVipInRange, familiesOf } from "./service-vips";
import { Holders } from "./service-holders";
import { checkNotBuiltin, kubernetesService, withBuiltinServices, withoutBuiltinVip } from "./kubernetes-service";
import { assignLoadBalancers, type LbOutcome } from "./lb-assign";
import type { ServiceLookups } from "../../store";
import { clusterOwned } from "../cluster/cluster-gate";

/** Every check that needs the rest of the state: VIP range and uniqueness, host-port and address clashes. */
function checkAgainst(state: DesiredState, holders: Holders, s: Service, newlyGiven: string[]): void {
  const other = (x: Service | undefined) => (x && x.id !== s.id ? x : undefined);
  for (const vip of newlyGiven) checkVipInRange(vip);
  for (const vip of serviceVips(s)) {
    const holder = other(holders.vip(vip));
    if (holder) throw new EngineError("ADDRESS_IN_USE", `VIP ${vip} is already used by service ${serviceRef(holder)}`);
  }
  const families = new Set(serviceVips(s).map(familyOfIp));
  for (const ip of s.externalIps) {
    if (!families.has(familyOfIp(ip))) throw new EngineError("FAMILY_UNAVAILABLE", `external IP ${ip} is ${familyOfIp(ip)} but service ${serviceRef(s)} has no ${familyOfIp(ip)} VIP`, { hint: "add that family (--ip-family dual) or drop the external IP" });
  }
  // LoadBalancer addresses are checked by LB IPAM (lb-assign.ts), which moves them rather than fail.
  for (const ip of [...serviceVips(s), ...s.externalIps]) {
    const n = networkOfAddress(state, ip);
    if (n) throw new EngineError("ADDRESS_IN_USE", `${ip} is inside network ${n.name}'s subnet`, { hint: "VIPs and external IPs must not belong to a network" });
  }
  for (const ip of s.externalIps) {
    for (const p of s.ports) {
      const o = other(holders.addrPort(ip, p.protocol, p.port));
      if (o) throw new EngineError("PORT_IN_USE", `external IP ${ip} already serves ${p.port}/${p.protocol} for service ${serviceRef(o)}`);
    }
  }
  for (const p of s.ports) {
    if (p.hostPort === undefined) continue;
    const mine: PortMapping = { hostPort: p.hostPort, containerPort: p.port, protocol: p.protocol, allowFrom: [] };
    const w = state.workloads.find((x) => x.ports.some((t) => portsCollide(mine, t)));
    if (w) throw new EngineError("PORT_IN_USE", `host port ${p.hostPort}/${p.protocol} is already published by workload ${w.name}`);
    const o = other(holders.hostPort(p.protocol, p.hostPort));
    if (o) throw new EngineError("PORT_IN_USE", `host port ${p.hostPort}/${p.protocol} is already published by service ${serviceRef(o)}`);
  }
}

/** Does a workload's port list clash with a service's host port? (checked by `run`) A service's
 * host port has no host IP, so it collides with any mapping of the same protocol and port. */
export function serviceHostPortClash(holders: ServiceLookups, ports: PortMapping[]): string | undefined {
  for (const t of ports) {
    const s = holders.hostPort(t.protocol, t.hostPort);
    if (s) return `host port ${t.hostPort}/${t.protocol} is already published by service ${serviceRef(s)}`;
  }
  return undefined;
}

/** NodePorts, as Kubernetes allocates them. */
export const NODE_PORT_RANGE = [30000, 32767] as const;

/**
 * Ports asking for a host port ("auto") keep the one their previous version had, or take the first
 * free one of the NodePort range (free of workloads' published ports and other services' host ports).
 */
function withNodePorts(state: DesiredState, holders: Holders, ports: (ServicePort & { autoHostPort?: true })[], base: Service | undefined): ServicePort[] {
  const taken = new Set<string>(state.workloads.flatMap((w) => w.ports.map((p) => `${p.protocol}/${p.hostPort}`)));
  for (const p of ports) if (p.hostPort !== undefined) taken.add(`${p.protocol}/${p.hostPort}`);
  return ports.map(({ autoHostPort, ...p }) => {
    if (!autoHostPort) return p;
    const before = base?.ports.find((b) => b.port === p.port && b.protocol === p.protocol)?.hostPort;
    const free = (hp: number) => {
      const holder = holders.hostPort(p.protocol, hp);
      return !taken.has(`${p.protocol}/${hp}`) && (!holder || holder.id === base?.id);
    };
    let hostPort = before !== undefined && free(before) ? before : undefined;
    for (let hp = NODE_PORT_RANGE[0]; hostPort === undefined && hp <= NODE_PORT_RANGE[1]; hp++) if (free(hp)) hostPort = hp;
    if (hostPort === undefined) throw new EngineError("POOL_EXHAUSTED", `no free NodePort in ${NODE_PORT_RANGE.join("-")}/${p.protocol}`);
    taken.add(`${p.protocol}/${hostPort}`);
    return { ...p, hostPort };
  });
}

function build(state: DesiredState, holders: Holders, spec: ServiceSpec, base?: Service): Service {
  const n = normalizeServiceSpec(spec);
  checkNotBuiltin(base ? "update" : "create", n.name, n.namespace, n.families.vips.filter((v) => !(base ? serviceVips(base) : []).includes(v)));
  const resolved = n.kind === "ClusterIP" ? resolveFamilies(n.families, availableFamilies(), familiesOf(base)) : undefined;
  const vips = resolved ? assignVips(resolved.families, n.families.vips, base, withoutBuiltinVip(holders)) : [];
  const s: Service = {
    id: base?.id ?? newId(),
    name: n.name,
    namespace: n.namespace,
    ...(resolved ? { vip: vips[0]!, vips, ipFamilyPolicy: resolved.policy } : {}),
    ...(n.headless ? { headless: true } : {}),
    ...(n.externalName ? { externalName: n.externalName } : {}),
    ports: withNodePorts(state, holders, n.ports, base),
    selector: n.selector,
    scheduler: n.scheduler,
    weights: n.weights,
    externalIps: n.externalIps,
    ...(n.labels ? { labels: n.labels } : {}),
    // What it held stays unless LB IPAM (assignLoadBalancers, after the build) moves it.
    ...(n.loadBalancer ? { loadBalancer: { ...n.loadBalancer, ips: base?.loadBalancer?.ips ?? [] } } : {}),
    ...(n.health ? { health: n.health } : {}),
    ...(n.affinityTimeoutS ? { affinityTimeoutS: n.affinityTimeoutS } : {}),
    ...(n.externalTrafficPolicy ? { externalTrafficPolicy: n.externalTrafficPolicy } : {}),
    createdAt: base?.createdAt ?? now(),
    ...(spec.project ?? base?.project ? { project: (spec.project ?? base?.project)! } : {}),
  };
  const before = base ? serviceVips(base) : [];
  checkAgainst(state, holders, s, n.families.vips.filter((v) => !before.includes(v)));
  return s;
}

/** The stored record back into a request, so `update` changes only the fields it is given. */
export function specOf(s: Service): ServiceSpec {
  const common = {
    name: s.name,
    namespace: serviceNamespace(s),
    ports: s.ports.map((p) => `${p.name ? `${p.name}=` : ""}${p.port}:${p.targetPort}/${p.protocol}`),
    selector: s.selector,
    ...(s.health ? { health: s.health } : {}),
    ...(s.project ? { project: s.project } : {}),
    ...(s.labels ? { labels: s.labels } : {}),
  };
  if (s.externalName) return { ...common, externalName: s.externalName };
  if (!hasVip(s)) return { ...common, headless: true };
  return {
    ...common,
    publish: s.ports.filter((p) => p.hostPort !== undefined).map((p) => `${p.hostPort}:${p.port}/${p.protocol}`),
    // No VIPs: the previous version (the base) keeps its VIP of each family it still has.
    ipFamilies: serviceVips(s).map(familyOfIp),
    ipFamilyPolicy: s.ipFamilyPolicy ?? "SingleStack",
    scheduler: s.scheduler,
    weights: s.weights,
    externalIps: s.externalIps,
    ...(s.loadBalancer ? { loadBalancer: lbRequestOf(s.loadBalancer) } : {}),
    ...(s.affinityTimeoutS ? { affinity: "client-ip", affinityTimeout: s.affinityTimeoutS } : {}),
    ...(s.externalTrafficPolicy ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
  };
}

/** The request part of a LoadBalancer state (what a spec carries). */
const lbRequestOf = ({ ips: _ips, pending: _pending, ...request }: LoadBalancerState) => request;

/** Write an operation's services and the stored ones LB IPAM changed, in one transaction, or restore them. */
async function applyWithLb(ctx: EngineContext, given: { s: Service; old: Service | undefined }[], givenLb: LbOutcome, what: string): Promise<void> {
  // Cluster mode: the cluster store first (VIPs and NodePorts reserved there); refused, nothing changed.
  const made = ctx.cluster ? given.map((m) => ({ ...m, s: clusterOwned(m.s) })) : given;
  const lb = ctx.cluster ? { ...givenLb, changed: givenLb.changed.map((c) => ({ ...c, s: clusterOwned(c.s) })) } : givenLb;
  const unpublish = await ctx.cluster?.services([...made.map((m) => m.s), ...lb.changed.map((c) => c.s)], []);
  const put = () => {
    made.forEach(({ s }) => ctx.store.putService(s));
    lb.changed.forEach(({ s }) => ctx.store.putService(s));
  };
  const undo = () => {
    lb.changed.forEach(({ old }) => ctx.store.putService(old));
    made.forEach(({ s, old }) => (old ? ctx.store.putService(old) : ctx.store.deleteService(s.id)));
  };
  await apply(ctx, put, undo, what).catch(async (e: unknown) => {
    await unpublish?.().catch(() => undefined);
    throw e;
  });
}

/** Services into the store and the table: host ports held first, then one nft transaction; undone on failure. */
export async function apply(ctx: EngineContext, put: () => void, undo: () => void, what: string): Promise<void> {
  // Host ports are held (and a host process's refused) before the table changes.
  await putHoldingPorts(ctx, put, undo, what);
  try {
    await syncedPut(ctx, () => undefined, undo);
  } catch (e) {
    throw asKernelError(e, what);
  }
}

const refOf = (name: string, namespace?: string) => serviceRef({ name, ...(namespace ? { namespace } : {}) });

/** `batch`: names the same operation has already taken. */
function checkNameFree(ctx: EngineContext, spec: ServiceSpec, batch?: Set<string>): void {
  if (typeof spec?.name !== "string") return;
  const ns = validateNamespace(spec.namespace);
  const ref = refOf(spec.name, ns);
  if (batch?.has(ref) || ctx.store.service(spec.name, ns)) {
    throw new EngineError("NAME_IN_USE", `service ${spec.name} already exists in namespace ${ns}`, { hint: "service names are unique per namespace; use 'ponton service update'" });
  }
}

export async function createService(ctx: EngineContext, spec: ServiceSpec): Promise<Service> {
  checkNameFree(ctx, spec);
  const state = ctx.store.state();
  const holders = new Holders(ctx.store.serviceLookups());
  const built = build(state, holders, spec);
  holders.add(built);
  const lb = assignLoadBalancers(ctx, state, holders, [built]);
  const s = lb.made[0]!;
  await applyWithLb(ctx, [{ s, old: undefined }], lb, `create service ${serviceRef(s)}`);
  return s;
}

/** Many services in one store transaction and one nft transaction (`ponton up`, bulk loads). */
export async function createServices(ctx: EngineContext, specs: ServiceSpec[]): Promise<Service[]> {
  if (!Array.isArray(specs)) throw new EngineError("INVALID_ARGUMENT", "'services' must be a list of service specs");
  checkCount("services in one request", specs.length, MAX_OBJECTS);
  const state = ctx.store.state();
  const holders = new Holders(ctx.store.serviceLookups());
  const names = new Set<string>();
  const made: Service[] = [];
  for (const spec of specs) {
    checkNameFree(ctx, spec, names);
    const s = build(state, holders, spec);
    holders.add(s);
    names.add(serviceRef(s));
    made.push(s);
  }
  const lb = assignLoadBalancers(ctx, state, holders, made);
  await applyWithLb(ctx, lb.made.map((s) => ({ s, old: undefined })), lb, `create ${made.length} services`);
  return lb.made;
}

export async function updateService(ctx: EngineContext, name: string, given: Partial<ServiceSpec>, namespace?: string): Promise<Service> {
  const changes = checkServiceShape<Partial<ServiceSpec>>(`update service ${name}`, given);
  checkNotBuiltin("update", name, namespace ?? changes.namespace);
  const old = getService(ctx, name, namespace ?? changes.namespace);
  const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  if (kindOf({ ...specOf(old), ...defined }) !== kindOf(specOf(old))) {
    throw new EngineError("INVALID_ARGUMENT", `service ${serviceRef(old)} is ${kindOf(specOf(old))}: update cannot change its kind`, { hint: "remove it and create it again (ponton up and service apply replace it)" });
  }
  // The namespace is part of the identity: moving a service is rm + create.
  const state = ctx.store.state();
  const holders = new Holders(ctx.store.serviceLookups());
  const built = build(state, holders, { ...specOf(old), ...defined, name, namespace: serviceNamespace(old) }, old);
  holders.add(built);
  const lb = assignLoadBalancers(ctx, state, holders, [built]);
  const s = lb.made[0]!;
  await applyWithLb(ctx, [{ s, old }], lb, `update service ${serviceRef(s)}`);
  return s;
}

export async function removeService(ctx: EngineContext, name: string, missingOk = false, namespace?: string): Promise<void> {
  checkNotBuiltin("remove", name, namespace);
  const s = ctx.store.service(name, validateNamespace(namespace));
  if (!s) {
    if (missingOk) return;
    throw notFound(name, namespace);
  }
  // A freed LoadBalancer address goes to a service that was waiting for one, in the same transaction.
  const lb = s.loadBalancer ? assignLoadBalancers(ctx, ctx.store.state(), new Holders(ctx.store.serviceLookups()), [], { removed: new Set([s.id]) }) : { made: [], changed: [] };
  const put = () => {
    ctx.store.deleteService(s.id);
    lb.changed.forEach((c) => ctx.store.putService(c.s));
  };
  const undo = () => {
    lb.changed.forEach((c) => ctx.store.putService(c.old));
    ctx.store.putService(s);
  };
  const unpublish = await ctx.cluster?.services(lb.changed.map((c) => clusterOwned(c.s)), [s]);
  await apply(ctx, put, undo, `remove service ${serviceRef(s)}`).catch(async (e: unknown) => {
    await unpublish?.().catch(() => undefined);
    throw e;
  });
}

const notFound = (name: string, namespace?: string) =>
  new EngineError("NOT_FOUND", `service ${name} not found in namespace ${validateNamespace(namespace)}`, { hint: "list services with 'ponton service ls'" });

export function getService(ctx: EngineContext, name: string, namespace?: string): Service {
  const s = ctx.store.service(name, validateNamespace(namespace)) ?? withBuiltinServices(ctx.store.state()).services?.find((b) => b.id === kubernetesService().id && b.name === name && validateNamespace(namespace) === b.namespace);
  if (!s) throw notFound(name, namespace);
  return s;
}

export interface ApplyReport {
  created: string[];
  replaced: string[];
}

/**
 * Declarative create-or-replace (`ponton service apply`, `ponton up`): each spec is the whole
 * service (fields it omits go back to their defaults), an existing one keeps its id, VIP and
 * NodePorts. Everything is built and checked first, then one store and one nft transaction.
 */
export async function applyServices(ctx: EngineContext, specs: ServiceSpec[]): Promise<ApplyReport> {
  if (!Array.isArray(specs)) throw new EngineError("INVALID_ARGUMENT", "'services' must be a list of service specs");
  checkCount("services in one request", specs.length, MAX_OBJECTS);
  const state = ctx.store.state();
  const holders = new Holders(ctx.store.serviceLookups());
  const seen = new Set<string>();
  const made: { s: Service; old: Service | undefined }[] = [];
  for (const spec of specs) {
    const ns = validateNamespace(spec?.namespace);
    const old = typeof spec?.name === "string" ? ctx.store.service(spec.name, ns) : undefined;
    let s: Service;
    try {
      s = build(state, holders, spec, old);
    } catch (e) {
      throw e instanceof EngineError ? e.within(`service ${ns}/${String(spec?.name)}`) : e;
    }
    if (seen.has(serviceRef(s))) throw new EngineError("INVALID_ARGUMENT", `service ${serviceRef(s)} is given twice`);
    seen.add(serviceRef(s));
    holders.add(s);
    made.push({ s, old });
  }
  const lb = assignLoadBalancers(ctx, state, holders, made.map((m) => m.s));
  const withLb = made.map((m, i) => ({ s: lb.made[i]!, old: m.old }));
  await applyWithLb(ctx, withLb, lb, `apply ${made.length} services`);
  return {
    created: made.filter((m) => !m.old).map((m) => serviceRef(m.s)),
    replaced: made.filter((m) => m.old).map((m) => serviceRef(m.s)),
  };
}
