// Public surface of the embedded DNS server; the engine imports from here only.
export { DnsServer, type DnsServerOptions } from "./server";
export { FastpathUnavailableError } from "./fastpath-addon";
export type { DnsRecord, RecordType, SrvData } from "./records";
export { normalizeName, validateRecord } from "./records";
export { reverseName } from "./reverse-name";
export { readUpstreams, parseNameservers, wouldLoop, isLoopback, SYSTEMD_RESOLVED_STUB, SYSTEMD_RESOLV_CONF } from "./resolv-conf";
export type { UpstreamAddress, ReadUpstreamsOptions } from "./resolv-conf";
export type { ListenAddress } from "./listener";
export type { DnsCounters } from "./counters";
export type { ExplainResult } from "./explain";
export type { UpstreamHealth } from "./upstreams";
export type { DnsPolicyHook } from "./dns-policy";
