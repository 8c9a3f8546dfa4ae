// The plumbing: this host, each network's bridge (or parent), and the workloads on it, one line per
// interface (host end ↔ workload end, with the address); in a cluster, the other nodes below this
// one, each with the pod blocks the overlay tunnels to it. Deterministic columns, sorted by name.
import { useStore } from "../store";

const W = 210;
const H = 44;
const GAP = 16;

export function PlumbingView() {
  const s = useStore();
  const networks = s.networks.filter((n) => n.driver !== "host" && n.driver !== "null").sort((a, b) => a.name.localeCompare(b.name));
  const workloads = [...s.workloads].sort((a, b) => a.name.localeCompare(b.name));
  const rowOf = new Map(workloads.map((w, i) => [w.name, i]));
  const netRow = new Map(networks.map((n, i) => [n.name, i]));
  const self = s.nodes.find((n) => n.self);
  const others = s.nodes.filter((n) => !n.self);
  const height = 40 + Math.max(1 + others.length, workloads.length, networks.length) * (H + GAP);
  const x = [20, 20 + W + 150, 20 + 2 * (W + 150)];
  const y = (row: number) => 20 + row * (H + GAP);
  return (
    <section class="plumbing-view">
      <svg class="map" data-testid="plumbing" width={x[2]! + W + 20} height={height} role="img" aria-label="Host, networks and workloads">
        {networks.map((n) => (
          <g key={`h-${n.name}`} class="edge plumb">
            <path d={`M ${x[0]! + W} ${y(0) + H / 2} L ${x[1]} ${y(netRow.get(n.name)!) + H / 2}`} />
          </g>
        ))}
        {workloads.flatMap((w) =>
          w.networks
            .filter((a) => netRow.has(a.network))
            .map((a) => {
              const [y1, y2] = [y(netRow.get(a.network)!) + H / 2, y(rowOf.get(w.name)!) + H / 2];
              return (
                <g key={`${w.name}-${a.network}`} class="edge plumb" data-link={`${a.network}>${w.name}`}>
                  <path d={`M ${x[1]! + W} ${y1} C ${x[1]! + W + 75} ${y1}, ${x[2]! - 75} ${y2}, ${x[2]} ${y2}`} />
                  <text x={x[2]! - 70} y={y2 - 5} text-anchor="middle">
                    {[a.hostIfname, a.ifname].filter(Boolean).join(" ↔ ")}
                  </text>
                </g>
              );
            }),
        )}
        <g class="node service" transform={`translate(${x[0]} ${y(0)})`}>
          <rect width={W} height={H} rx="6" />
          <text x="10" y="19">
            {self ? `this node · ${self.name}` : "this host"}
          </text>
          <text x="10" y="36" class="sub">
            {networks.length} networks{self ? ` · ${self.address}` : ""}
          </text>
        </g>
        {others.map((n, i) => {
          const blocks = s.tunnels.filter((t) => t.node === n.name).map((t) => t.block);
          return (
            <g key={`n-${n.name}`} data-node={n.name}>
              <g class="edge plumb" data-tunnel={n.name}>
                <path d={`M ${x[0]} ${y(0) + H / 2} H ${x[0]! - 12} V ${y(i + 1) + GAP / 2 + (H - GAP / 2) / 2} H ${x[0]}`} fill="none" />
                <text x={x[0]! + 10} y={y(i + 1) + 2}>
                  {blocks.length ? `VXLAN → ${blocks.join(" ")}` : "no tunnel"}
                </text>
              </g>
              <g class={`node outside${n.status === "Ready" ? "" : " down"}`} transform={`translate(${x[0]} ${y(i + 1) + GAP / 2})`}>
                <rect width={W} height={H - GAP / 2} rx="6" />
                <text x="10" y="16">
                  node {n.name} · {n.status}
                </text>
                <text x="10" y="30" class="sub">
                  {n.address} · {n.workloads} workloads
                </text>
              </g>
            </g>
          );
        })}
        {networks.map((n) => (
          <g key={n.name} class="node group" data-network={n.name} transform={`translate(${x[1]} ${y(netRow.get(n.name)!)})`}>
            <rect width={W} height={H} rx="6" />
            <text x="10" y="19">
              {n.name} {n.bridge ? `· ${n.bridge}` : `· ${n.driver}`}
            </text>
            <text x="10" y="36" class="sub">
              {[n.subnet4, n.subnet6].filter(Boolean).join(" ")}
              {n.internal ? " · internal" : ""}
            </text>
          </g>
        ))}
        {workloads.map((w) => (
          <g key={w.name} class="node group" data-workload={w.name} transform={`translate(${x[2]} ${y(rowOf.get(w.name)!)})`}>
            <rect width={W} height={H} rx="6" />
            <text x="10" y="19">
              {w.namespace}/{w.name}
            </text>
            <text x="10" y="36" class="sub">
              {w.networks.map((a) => a.ip4 ?? a.ip6).join(" ")} · {w.state}
            </text>
          </g>
        ))}
      </svg>
    </section>
  );
}
