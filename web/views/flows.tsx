// The live flow table: filters, pause/resume, newest first, a details panel. Only the newest
// ROWS matching rows are drawn, so the page stays fast with a full buffer.
import { useMemo, useState } from "preact/hooks";
import { flowMatches, parseTerms } from "../filter-terms";
import { l7Label } from "../l7-label";
import { portLabel } from "../layout";
import { togglePause, useStore } from "../store";
import type { Flow } from "../types";
import { endpointName, FlowDetails } from "./flow-details";

const ROWS = 200;

export function FlowsView({ initialFilter = "" }: { initialFilter?: string }) {
  const s = useStore();
  const [filter, setFilter] = useState(initialFilter);
  const [verdict, setVerdict] = useState("");
  const [selected, setSelected] = useState<Flow | undefined>();
  const terms = useMemo(() => parseTerms(`${filter},${verdict ? `verdict=${verdict}` : ""}`), [filter, verdict]);
  const rows: Flow[] = [];
  let matching = 0;
  for (let i = s.flows.length - 1; i >= 0; i--) {
    const f = s.flows[i]!;
    if (!flowMatches(f, terms)) continue;
    matching++;
    if (rows.length < ROWS) rows.push(f);
  }
  const onKey = (e: KeyboardEvent, f: Flow) => {
    const row = e.currentTarget as HTMLElement;
    if (e.key === "Enter" || e.key === " ") (e.preventDefault(), setSelected(f));
    else if (e.key === "ArrowDown") (e.preventDefault(), (row.nextElementSibling as HTMLElement | null)?.focus());
    else if (e.key === "ArrowUp") (e.preventDefault(), (row.previousElementSibling as HTMLElement | null)?.focus());
    else if (e.key === "Escape") setSelected(undefined);
  };
  return (
    <section class="flows-view">
      <div class="toolbar" role="search">
        <label>
          Filter by{" "}
          <input
            type="search"
            data-testid="flow-filter"
            value={filter}
            placeholder="label key=val, ip=10.0.0.2, dns=web, pod=fron, namespace=shop, port=80, http-method=POST"
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Verdict{" "}
          <select data-testid="verdict-filter" value={verdict} onChange={(e) => setVerdict((e.target as HTMLSelectElement).value)}>
            <option value="">Any verdict</option>
            <option value="forwarded">Forwarded</option>
            <option value="denied">Dropped or rejected</option>
          </select>
        </label>
        <button type="button" data-testid="pause" onClick={togglePause} aria-pressed={s.paused}>
          {s.paused ? "Resume" : "Pause"}
        </button>
        <span class="count" data-testid="flow-count">
          {matching} of {s.flows.length} flows{s.lost ? ` · ${s.lost} skipped by the server` : ""}
          {s.connected ? "" : " · not live"}
        </span>
      </div>
      <div class="split">
        <table class="flows" data-testid="flow-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Source</th>
              <th scope="col">Destination</th>
              <th scope="col">Port</th>
              <th scope="col">L7</th>
              <th scope="col">Verdict</th>
              <th scope="col">Policy</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((f) => (
              <tr key={f.seq} tabIndex={0} class={`${f.verdict}${selected?.seq === f.seq ? " selected" : ""}`} onClick={() => setSelected(f)} onKeyDown={(e) => onKey(e, f)} data-seq={f.seq}>
                <td>{f.time.slice(11, 23)}</td>
                <td>{endpointName(f.source)}</td>
                <td>{endpointName(f.destination)}</td>
                <td>{portLabel(f)}</td>
                <td class="l7-cell">{l7Label(f)}</td>
                <td class="verdict-cell">{f.verdict}</td>
                <td>{f.policies.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {selected && <FlowDetails flow={selected} onClose={() => setSelected(undefined)} />}
      </div>
    </section>
  );
}
