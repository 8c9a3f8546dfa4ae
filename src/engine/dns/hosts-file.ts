// A workload's /etc/hosts, as Docker and the kubelet write it: localhost, the workload's own name on
// each of its addresses, then the entries it was given (--add-host, hostAliases).
import type { HostEntry } from "../../model/types";
import { WRITTEN_BY_PONTON } from "./resolv-conf";

export interface HostsInputs {
  hostname: string;
  /** Its names other than the hostname: NAME.<domain> and NAME. */
  names: string[];
  addresses: string[];
  extra: readonly HostEntry[];
}

export function renderHosts(i: HostsInputs): string {
  const own = [...new Set([i.hostname, ...i.names].map((n) => n.toLowerCase()))].join(" ");
  const lines = [
    WRITTEN_BY_PONTON,
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    ...i.addresses.map((ip) => `${ip}\t${own}`),
    ...i.extra.map((e) => `${e.ip}\t${e.name}`),
  ];
  return lines.join("\n") + "\n";
}
