// Every field of one flow record, and the policy that decided, linked to it.
import type { Endpoint, Flow } from "../types";
import { go } from "../route";

const end = (e: Endpoint) => (e.workload ? `${e.namespace}/${e.workload}` : e.service ? `service ${e.service}` : e.host ? `host ${e.ip}` : e.ip);

export function endpointName(e: Endpoint): string {
  return end(e);
}

function Fields({ obj, prefix = "" }: { obj: Record<string, unknown>; prefix?: string }) {
  return (
    <>
      {Object.entries(obj).map(([k, v]) =>
        v !== null && typeof v === "object" && !Array.isArray(v) ? (
          <Fields key={k} obj={v as Record<string, unknown>} prefix={`${prefix}${k}.`} />
        ) : (
          <tr key={k}>
            <th scope="row">{prefix + k}</th>
            <td>{Array.isArray(v) ? v.join(", ") : String(v)}</td>
          </tr>
        ),
      )}
    </>
  );
}

export function FlowDetails({ flow, onClose }: { flow: Flow; onClose: () => void }) {
  return (
    <aside class="details" aria-label="Flow details" data-testid="flow-details">
      <header>
        <h2>
          {end(flow.source)} → {end(flow.destination)}
        </h2>
        <button type="button" onClick={onClose} aria-label="Close details">
          ✕
        </button>
      </header>
      <p class={`verdict ${flow.verdict}`}>
        {flow.verdict}
        {flow.dropReason ? ` · ${flow.dropReason}` : ""}
      </p>
      <p class="summary">{flow.summary}</p>
      {flow.policies.length > 0 && (
        <p>
          Decided by:{" "}
          {flow.policies.map((p) => (
            <a key={p} href={`#/policies/${p}`} class="policy-link" onClick={(e) => (e.preventDefault(), go("policies", p))}>
              {p}
            </a>
          ))}
          {flow.rule ? ` (rule ${flow.rule.direction}[${flow.rule.ruleIndex}])` : ""}
        </p>
      )}
      <table class="fields">
        <tbody>
          <Fields obj={flow as unknown as Record<string, unknown>} />
        </tbody>
      </table>
    </aside>
  );
}
