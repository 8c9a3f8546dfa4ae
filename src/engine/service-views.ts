// What `service ls|inspect` and the API show: the record plus live endpoint facts.
import { indexEndpoints, selected } from "../compile/services/endpoints";
import { serviceNamespace, type Service } from "../model/service";
import type { DesiredState } from "../model/types";
import type { ServiceMonitor } from "./services-monitor";

export interface ServiceEndpointView {
  workload: string;
  ip: string;
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
      ip: c.ip,
      weight: s.weights[c.name] ?? 1,
      healthy: monitor.isHealthy(s.id, c.workloadId),
      ...(counts ? { connections: counts.get(c.ip) ?? 0 } : {}),
    }));
  return {
    ...s,
    namespace: serviceNamespace(s),
    endpoints,
    ready: endpoints.filter((e) => e.healthy).length,
    conntrackCleared: monitor.cleared.get(s.id) ?? 0,
  };
}
