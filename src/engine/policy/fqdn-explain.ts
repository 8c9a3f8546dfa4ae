// `ponton policy explain` for DNS-based decisions: a connection to an address a toFQDNs answer
// opened names that rule (and the names behind it); `--dns NAME` gives the rules.dns verdict.
import { EngineError } from "../../errors";
import { describeDecision, normalizeDnsName } from "../../policy";
import { DEFAULT_NAMESPACE } from "../../model/types";
import type { EngineContext } from "../context";
import type { EngineFqdn } from "./fqdn";
import type { explainPolicy } from "./policies";

type Explained = ReturnType<typeof explainPolicy>;
const PROTO: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/** The static verdict, plus the learned toFQDNs element that admits the connection now (if any). */
export function withLearnedAddresses(ctx: EngineContext, fqdn: EngineFqdn, q: { port: string }, e: Explained): Explained & { fqdn?: object } {
  const eg = e.egress;
  if (eg.tier !== "networkPolicy" || eg.allowed || eg.deniedBy) return e;
  const [portText, protoText] = String(q.port).split("/");
  const hit = fqdn.lookup(e.from.ip, e.to.ip, PROTO[(protoText ?? "tcp").toLowerCase()] ?? 6, Number(portText));
  if (!hit?.ref) return e;
  const egress = { ...eg, allowed: true, allowedBy: [hit.ref] };
  const plan = ctx.nft.current?.policy;
  const decision = plan && describeDecision(plan, hit.id);
  return {
    ...e,
    allowed: e.ingress.allowed,
    egress,
    ids: { ...e.ids, egress: hit.id },
    decisions: { ...e.decisions, ...(decision ? { egress: decision } : {}) },
    fqdn: { rule: hit.ref, names: [...hit.names], expiresInSeconds: Math.ceil(hit.expiresInMs / 1000), learnedBeforeRestart: hit.names.size === 0 },
  };
}

/** A workload reference (ns/name, name, or IP) to the addresses the resolver sees it ask from. */
function clientAddresses(ctx: EngineContext, ref: string): { workload?: string; addresses: string[] } {
  if (/^[0-9.]+$/.test(ref) || ref.includes(":")) return { addresses: [ref] };
  const state = ctx.store.state();
  const [ns, name] = ref.includes("/") ? ref.split("/", 2) : [undefined, ref];
  const w = state.workloads.find((x) => x.name === name && (ns === undefined || (x.namespace ?? DEFAULT_NAMESPACE) === ns));
  if (!w) throw new EngineError("WORKLOAD_NOT_FOUND", `workload ${ref} not found`);
  const addresses = state.attachments.filter((a) => a.workloadId === w.id).flatMap((a) => [a.ip4, a.ip6].filter((x): x is string => !!x));
  return { workload: `${w.namespace ?? DEFAULT_NAMESPACE}/${w.name}`, addresses };
}

export function explainDnsName(ctx: EngineContext, fqdn: EngineFqdn, q: { from: string; name: string }) {
  if (!q.from || !q.name) throw new EngineError("INVALID_ARGUMENT", "--from and --dns are required");
  const name = normalizeDnsName(q.name);
  const who = clientAddresses(ctx, q.from);
  const client = who.addresses[0];
  if (!client) throw new EngineError("INVALID_ARGUMENT", `${q.from} has no address`);
  const v = fqdn.explainName(client, name);
  return { name, from: { ip: client, ...(who.workload ? { workload: who.workload } : {}) }, resolves: !v.policed || v.allowed, ...v };
}
