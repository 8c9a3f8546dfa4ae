// What `service ls|inspect` and the API show: the record plus live endpoint facts.
import { indexEndpoints, selected } from "../../compile/services/endpoints";
import { serviceNamespace, serviceVips, type Service } from "../../model/services/service";
import { familyOfIp } from "../../model/services/service-families";
import type { DesiredState } from "../../model/types";
import type { ServiceMonitor } from "./services-monitor";

export interface ServiceEndpointView {
  workload: string;
  /** The endpoint's IPv4 address, or its IPv6 one on an IPv6-only network. */
  ip: string;
  /** The endpoint's IPv6 address (what an IPv6 VIP reaches), on dual-stack networks. */
  ip6?: string;
  weight: number;
  healthy: boolean;
  /** Established connections seen in conntrack (lc/wlc services only). */
  connections?: number;
}

export function serviceView(state: DesiredState, s: Service, monitor: ServiceMonitor) {
  const counts = monitor.connectionsOf(s.id);
  const endpoints: ServiceEndpointView[] = selected(s, indexEndpoints(state))
    .map((c) => ({
      workload: c.name,
      ip: (c.ip ?? c.ip6)!,
      ...(c.ip6 ? { ip6: c.ip6 } : {}),
      weight: s.weights[c.name] ?? 1,
      healthy: monitor.isHealthy(s.id, c.workloadId),
      ...(counts ? { connections: counts.get((c.ip ?? c.ip6)!) ?? 0 } : {}),
    }));
  return {
    ...s,
    namespace: serviceNamespace(s),
    ...(s.vip ? { vips: serviceVips(s), ipFamilies: serviceVips(s).map(familyOfIp), ipFamilyPolicy: s.ipFamilyPolicy ?? "SingleStack" } : {}),
    endpoints,
    ready: endpoints.filter((e) => e.healthy).length,
    conntrackCleared: monitor.cleared.get(s.id) ?? 0,
  };
}
