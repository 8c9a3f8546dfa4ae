// Kubernetes NetworkPolicy (networking.k8s.io/v1) and CiliumNetworkPolicy (cilium.io/v2, L3/L4) for Ponton: parse, explain, compile to nft.
export type { NetworkPolicy, PolicyLog, PolicyWorld, PolicyRule, Peer, PortSpec, LabelSelector, LabelRequirement, Protocol, Direction, PolicyType, RuleRef, Entity, PolicyKind, WorldWorkload, WorldPort } from "./types";
export { PolicyError, type PolicyErrorCode } from "./errors";
export { parsePolicy, parsePolicies, LOG_ANNOTATION, LIST_KINDS } from "./parse";
export { parseSelector } from "./parse-fields";
export { matchesSelector } from "./selector";
export { explain, createExplainer, type ExplainQuery, type Explanation, type DirectionExplanation, type Endpoint } from "./evaluate";
export { compilePolicies } from "./compile";
export { policyManifest } from "./manifest";
export { whatIf, withCandidates, type WhatIfConnection, type WhatIfOutcome } from "./what-if";
export type { PolicyPlan, NftSet, NftChain, CompileOptions } from "./plan";
export type { PolicyIdEntry } from "./ids";
export { SERVICE_SLOT_MARK, isDecisionMark } from "./ids";
export { renderPolicyNft, renderPolicyReplace } from "./render";
export { describeDecision, ruleDecisionId, denyDecisionId } from "./decisions";
export { POLICY_ENTRY_CHAIN, POLICY_JUMP_RULE, CHAIN as POLICY_CHAINS, MAP as POLICY_MAPS, LOG_PREFIX as POLICY_LOG_PREFIX } from "./names";
export { NAMESPACE_NAME_LABEL, policyKey } from "./world";
export { L7_SETS, L7_BASE_PORT, type L7Listener, type L7Source } from "./l7-compile";
export type { HttpRule } from "./l7-types";
