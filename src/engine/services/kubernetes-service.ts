// The `kubernetes` service every Kubernetes cluster has in `default`: workloads written for
// Kubernetes look up kubernetes.default.svc. Ponton has no Kubernetes API server, so the service
// has no endpoints: it resolves, and a connection to it is refused at once (TCP reset, ICMP
// unreachable) instead of hanging. Its VIP is the first address of the IPv4 service range, as
// Kubernetes gives it: computed, never stored, so it is the same after every restart. It is built
// in: no user service may take its name or its VIP, and it cannot be updated or removed.
import { EngineError } from "../../errors";
import { formatIp, parseCidr } from "../../model/ip";
import { serviceNamespace, serviceVips, type Service } from "../../model/services/service";
import { DEFAULT_NAMESPACE, type DesiredState } from "../../model/types";
import { serviceRange, type VipSpace } from "./service-vips";

export const KUBERNETES_SERVICE = "kubernetes";

let built: { range: string; svc: Service } | undefined;

/** One object per service range: the DNS records and the nft elements of it are built once. */
export function kubernetesService(): Service {
  const range = serviceRange();
  if (built?.range !== range) {
    const c = parseCidr(range);
    const vip = formatIp(c.family, c.network + 1n);
    built = {
      range,
      svc: {
        id: "builtin-kubernetes",
        name: KUBERNETES_SERVICE,
        namespace: DEFAULT_NAMESPACE,
        vip,
        vips: [vip],
        ipFamilyPolicy: "SingleStack",
        ports: [{ name: "https", port: 443, targetPort: 6443, protocol: "tcp" }],
        // Empty: selects nothing, as a Kubernetes service without a selector.
        selector: {},
        scheduler: "rr",
        weights: {},
        externalIps: [],
        labels: { component: "apiserver", provider: "kubernetes" },
        createdAt: "1970-01-01T00:00:00.000Z",
      },
    };
  }
  return built.svc;
}

const isBuiltinRef = (name: string, namespace: string | undefined) => name === KUBERNETES_SERVICE && (namespace ?? DEFAULT_NAMESPACE) === DEFAULT_NAMESPACE;

/**
 * The desired state with the built-in service, for what serves it (nftables, DNS). A store made
 * before it existed may hold its VIP or name already: that service keeps them and the built-in stays out.
 */
export function withBuiltinServices(state: DesiredState): DesiredState {
  const k = kubernetesService();
  const services = state.services ?? [];
  if (services.some((s) => isBuiltinRef(s.name, serviceNamespace(s)) || serviceVips(s).includes(k.vip!))) return state;
  return { ...state, services: [k, ...services] };
}

/** Create, update, apply and remove refuse the built-in's name; a new VIP may not be its VIP. */
export function checkNotBuiltin(op: string, name: string, namespace: string | undefined, askedVips: readonly string[] = []): void {
  if (isBuiltinRef(name, namespace)) {
    throw new EngineError("RESERVED", `${op} service default/${KUBERNETES_SERVICE}: it is built in (Kubernetes' API service; Ponton serves it with no endpoints) and cannot be created, changed or removed`);
  }
  const vip = kubernetesService().vip!;
  if (askedVips.includes(vip)) throw new EngineError("RESERVED", `${op} service ${name}: VIP ${vip} is reserved for the built-in service default/${KUBERNETES_SERVICE}`);
}

/** The VIP space as allocation sees it: the built-in's VIP is never handed out. */
export function withoutBuiltinVip(space: VipSpace): VipSpace {
  const vip = kubernetesService().vip!;
  return { taken: (ip) => ip === vip || space.taken(ip), start: (r) => space.start(r), took: (r, v) => space.took(r, v) };
}
