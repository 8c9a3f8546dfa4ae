// Public surface of the embedded DNS server; the engine imports from here only.
export { DnsServer, type DnsServerOptions } from "./server/server";
export { FastpathUnavailableError } from "./server/fastpath-addon";
export type { DnsRecord, RecordType, SrvData } from "./resolve/records";
export { normalizeName, validateRecord } from "./resolve/records";
export { reverseName } from "./wire/reverse-name";
export { readUpstreams, parseNameservers, wouldLoop, isLoopback, SYSTEMD_RESOLVED_STUB, SYSTEMD_RESOLV_CONF } from "./upstream/resolv-conf";
export type { UpstreamAddress, ReadUpstreamsOptions } from "./upstream/resolv-conf";
export type { ListenAddress } from "./server/listener";
export type { DnsCounters } from "./server/counters";
export type { ExplainResult } from "./resolve/explain";
export type { UpstreamHealth } from "./upstream/upstreams";
export type { DnsPolicyHook } from "./server/dns-policy";
