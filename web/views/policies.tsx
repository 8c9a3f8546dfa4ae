// Policies: the list, one policy's YAML and the workloads it selects, explain between two
// workloads, and the what-if editor (computed by pontond with the `policy explain` oracle).
import { useEffect, useState } from "preact/hooks";
import { stringify } from "yaml";
import { policyManifest } from "../../src/policy/manifest";
import { matchesSelector } from "../../src/policy/selector";
import type { LabelSelector, NetworkPolicy } from "../../src/policy/types";
import { go } from "../route";
import { api, useStore } from "../store";
import type { Policy, WhatIf } from "../types";

const keyOf = (p: Policy) => `${p.namespace}/${p.name}`;

export function PoliciesView({ arg }: { arg: string }) {
  const s = useStore();
  const explainArg = arg.startsWith("explain:") ? arg.slice(8).split("|") : undefined;
  const current = s.policies.find((p) => keyOf(p) === arg);
  return (
    <section class="policies-view">
      <nav class="policy-list" aria-label="Policies">
        <h2>Policies ({s.policies.length})</h2>
        <ul>
          {s.policies.map((p) => (
            <li key={keyOf(p)}>
              <a href={`#/policies/${keyOf(p)}`} aria-current={keyOf(p) === arg ? "page" : undefined} data-policy={keyOf(p)}>
                {keyOf(p)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="policy-main">
        {current && <PolicyDetail p={current} />}
        <Explain initial={explainArg} />
        <WhatIfEditor />
      </div>
    </section>
  );
}

function PolicyDetail({ p }: { p: Policy }) {
  const s = useStore();
  const selected = s.workloads.filter((w) => w.namespace === p.namespace && matchesSelector(p.podSelector as LabelSelector, w.labels ?? {}));
  return (
    <article class="panel" data-testid="policy-detail">
      <h2>{keyOf(p)}</h2>
      <p>
        {p.policyTypes.join(" + ")} · {p.ingressRules} ingress rules · {p.egressRules} egress rules
      </p>
      <h3>Selects ({selected.length})</h3>
      <ul data-testid="policy-selects">
        {selected.map((w) => (
          <li key={w.name}>{w.name}</li>
        ))}
      </ul>
      <h3>YAML</h3>
      <pre data-testid="policy-yaml">{stringify(policyManifest(p.policy as NetworkPolicy))}</pre>
      <p>
        <a href={`#/flows`} onClick={(e) => (e.preventDefault(), go("flows", `policy=${keyOf(p)}`))}>
          Flows decided by this policy
        </a>
      </p>
    </article>
  );
}

function Explain({ initial }: { initial?: string[] | undefined }) {
  const s = useStore();
  const [from, setFrom] = useState(initial?.[0] ?? "");
  const [to, setTo] = useState(initial?.[1] ?? "");
  const [port, setPort] = useState(initial?.[2] ?? "80/tcp");
  const [out, setOut] = useState<{ allowed: boolean; egress: unknown; ingress: unknown } | string>();
  const names = s.workloads.map((w) => `${w.namespace}/${w.name}`).sort();
  const run = async (e?: Event) => {
    e?.preventDefault();
    try {
      setOut(await api(`/v1/policies/explain?${new URLSearchParams({ from, to, port })}`));
    } catch (err) {
      setOut((err as Error).message);
    }
  };
  useEffect(() => void (initial && initial.length === 3 && run()), [initial?.join("|")]);
  const pick = (label: string, v: string, set: (v: string) => void, id: string) => (
    <label>
      {label}{" "}
      <select data-testid={id} value={v} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        <option value="">—</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <article class="panel">
      <h2>Explain</h2>
      <form onSubmit={run} class="row">
        {pick("From", from, setFrom, "explain-from")}
        {pick("To", to, setTo, "explain-to")}
        <label>
          Port <input data-testid="explain-port" value={port} size={8} onInput={(e) => setPort((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Explain</button>
      </form>
      {typeof out === "string" ? <p class="bad-text">{out}</p> : out && (
        <div data-testid="explain-result">
          <p class={out.allowed ? "good-text" : "bad-text"}>{out.allowed ? "ALLOWED" : "DENIED"}</p>
          <pre>{stringify({ egress: out.egress, ingress: out.ingress })}</pre>
        </div>
      )}
    </article>
  );
}

function WhatIfEditor() {
  const [text, setText] = useState("");
  const [limit, setLimit] = useState("1000");
  const [out, setOut] = useState<WhatIf | string>();
  const run = async (e: Event) => {
    e.preventDefault();
    try {
      setOut(await api<WhatIf>("/ui/v1/what-if", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ yaml: text, limit: Number(limit) }) }));
    } catch (err) {
      setOut((err as Error).message);
    }
  };
  return (
    <article class="panel">
      <h2>What if…</h2>
      <p>Paste NetworkPolicies: see which of the last flows they would deny, before you apply them. Nothing is applied.</p>
      <form onSubmit={run}>
        <textarea data-testid="what-if-yaml" rows={12} spellcheck={false} aria-label="Policy YAML" value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        <div class="row">
          <label>
            Last <input data-testid="what-if-limit" value={limit} size={6} onInput={(e) => setLimit((e.target as HTMLInputElement).value)} /> flows
          </label>
          <button type="submit" data-testid="what-if-run">
            Predict
          </button>
        </div>
      </form>
      {typeof out === "string" ? <p class="bad-text" data-testid="what-if-error">{out}</p> : out && (
        <div data-testid="what-if-result">
          <p>
            {out.policies.join(", ")}: of {out.connections} distinct connections in the last {out.considered} flows, <strong class={out.wouldDeny ? "bad-text" : "good-text"}>{out.wouldDeny} would be denied</strong>.
          </p>
          <table class="flows">
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Port</th>
                <th scope="col">Now</th>
                <th scope="col">After</th>
                <th scope="col">Denied by</th>
              </tr>
            </thead>
            <tbody>
              {out.rows.map((r) => (
                <tr key={r.seq} class={r.allowedAfter ? "FORWARDED" : "DROPPED"} data-what-if={`${r.from}|${r.to}|${r.port}/${r.protocol.toLowerCase()}`} data-after={r.allowedAfter ? "allowed" : "denied"}>
                  <td>{r.from}</td>
                  <td>{r.to}</td>
                  <td>
                    {r.port}/{r.protocol.toLowerCase()}
                  </td>
                  <td>{r.allowedNow ? "allowed" : "denied"}</td>
                  <td class="verdict-cell">{r.allowedAfter ? "allowed" : "denied"}</td>
                  <td>{r.deniedBy.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}
