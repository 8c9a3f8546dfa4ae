// The service map of one namespace: groups, services and outside peers; edges from observed
// flows, red when any was dropped. Nodes and edges are focusable; Enter or a click shows details.
import { useState } from "preact/hooks";
import { ALL, buildMap, NODE_H, NODE_W, type MapEdge, type MapNode } from "../layout";
import { go } from "../route";
import { useStore } from "../store";
import { endpointName } from "./flow-details";

type Picked = { node: MapNode } | { edge: MapEdge } | undefined;

const activate = (f: () => void) => (e: KeyboardEvent) => {
  if (e.key === "Enter" || e.key === " ") (e.preventDefault(), f());
};

export function MapView({ ns, setNs }: { ns: string; setNs: (ns: string) => void }) {
  const s = useStore();
  const [picked, setPicked] = useState<Picked>();
  const names = [...new Set([...s.namespaces.map((n) => n.name), ...s.workloads.map((w) => w.namespace)])].sort();
  const map = buildMap(ns, s.workloads, s.services, s.flows);
  const at = new Map(map.nodes.map((n) => [n.id, n]));
  return (
    <section class="map-view">
      <div class="toolbar">
        <label>
          Namespace{" "}
          <select data-testid="map-namespace" value={ns} onChange={(e) => setNs((e.target as HTMLSelectElement).value)}>
            <option value={ALL}>all namespaces</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <span class="legend">
          <span class="swatch ok" /> forwarded <span class="swatch bad" /> dropped <span class="swatch selects" /> service endpoints
        </span>
      </div>
      <div class="split">
        <svg class="map" data-testid="service-map" width={map.width} height={map.height} viewBox={`0 0 ${map.width} ${map.height}`} role="group" aria-label={`Service map of ${ns === ALL ? "all namespaces" : ns}`}>
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
            </marker>
          </defs>
          {map.edges.map((e) => {
            const a = at.get(e.from)!;
            const b = at.get(e.to)!;
            const self = a === b;
            const [x1, y1] = [a.x + NODE_W, a.y + NODE_H / 2];
            const [x2, y2] = b.x > a.x ? [b.x, b.y + NODE_H / 2] : [b.x + NODE_W / 2, b.y + (b.y > a.y ? 0 : NODE_H)];
            const d = self ? `M ${x1} ${y1 - 8} c 40 -30 40 30 0 16` : `M ${x1} ${y1} C ${(x1 + x2) / 2} ${y1}, ${(x1 + x2) / 2} ${y2}, ${x2} ${y2}`;
            const cls = e.kind === "selects" ? "edge selects" : e.dropped > 0 ? "edge dropped" : "edge forwarded";
            return (
              <g key={e.id} class={cls} tabindex={0} role="button" aria-label={`${e.from} to ${e.to}: ${e.ports.join(" ")}, ${e.dropped} dropped`} data-edge={e.id} onClick={() => setPicked({ edge: e })} onKeyDown={activate(() => setPicked({ edge: e }))}>
                <path d={d} marker-end="url(#arrow)" />
                <text x={self ? x1 + 34 : (x1 + x2) / 2} y={(y1 + y2) / 2 - 6} text-anchor="middle">
                  {e.ports.join(" ")}
                </text>
              </g>
            );
          })}
          {map.nodes.map((n) => (
            <g key={n.id} class={`node ${n.kind}`} tabindex={0} role="button" aria-label={`${n.kind} ${n.label}`} data-node={n.id} onClick={() => setPicked({ node: n })} onKeyDown={activate(() => setPicked({ node: n }))} transform={`translate(${n.x} ${n.y})`}>
              <rect width={NODE_W} height={NODE_H} rx="6" />
              <text x="10" y="19">
                {n.label}
              </text>
              <text x="10" y="36" class="sub">
                {n.kind === "group" ? `${n.members.length} workload${n.members.length === 1 ? "" : "s"}` : n.kind === "service" ? `service · ${n.members.length} endpoints` : "outside"}
              </text>
            </g>
          ))}
        </svg>
        {picked && (
          <aside class="details" data-testid="map-details" aria-label="Details">
            <header>
              <h2>{"node" in picked ? picked.node.label : `${picked.edge.from.slice(4)} → ${picked.edge.to.slice(4)}`}</h2>
              <button type="button" onClick={() => setPicked(undefined)} aria-label="Close details">
                ✕
              </button>
            </header>
            {"node" in picked ? (
              <ul>
                {picked.node.members.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            ) : (
              <EdgeDetails e={picked.edge} />
            )}
          </aside>
        )}
      </div>
    </section>
  );
}

function EdgeDetails({ e }: { e: MapEdge }) {
  const f = e.last;
  if (!f) return <p>Service {e.from.slice(4)} balances to {e.to.slice(4)} ({e.ports.join(" ")}).</p>;
  const port = f.destination.port !== undefined ? `${f.destination.port}/${f.protocol}` : "";
  return (
    <div>
      <p>
        {e.forwarded} forwarded, <span class={e.dropped ? "bad-text" : ""}>{e.dropped} dropped</span> · {e.ports.join(" ")}
      </p>
      <p>
        Last: {endpointName(f.source)} → {endpointName(f.destination)} {f.verdict}
      </p>
      <p class="summary">{f.summary}</p>
      {e.l7.length > 0 && (
        <ul class="l7" data-testid="edge-l7" aria-label="Requests seen">
          {e.l7.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      {e.policies.map((p) => (
        <p key={p}>
          <a href={`#/policies/${p}`} class="policy-link">
            {p}
          </a>
        </p>
      ))}
      {f.source.workload && f.destination.workload && port && (
        <p>
          <a href="#/policies" onClick={(ev) => (ev.preventDefault(), go("policies", `explain:${f.source.namespace}/${f.source.workload}|${f.destination.namespace}/${f.destination.workload}|${port}`))}>
            Explain this connection
          </a>
        </p>
      )}
    </div>
  );
}
