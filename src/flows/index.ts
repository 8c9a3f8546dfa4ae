export { FlowCollector, NFLOG_HELPER, type CollectorStatus } from "./collector";
export { FLOW_QUERY_KEYS, flowFilter, sinceMs, type FlowQuery } from "./filter";
export { renderMetrics, labelledSamples, counter, gauge, type Metric } from "./metrics";
export { decodePacket, type PacketHeaders } from "./packet";
export { flowDirectory, toFlowRecord, type FlowRecord, type DnsFlow, type FlowEndpoint, type FlowDirectory, type NflogEvent, type Verdict, type DropReason } from "./record";
export { FlowRing } from "./ring";
export { flowLine } from "./format";
export { policiesLogging } from "./policy-log";
