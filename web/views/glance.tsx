// At a glance: rates from the live buffer, drops by reason, and every service's endpoints with
// their health as pontond's health checks see them.
import { useStore } from "../store";

export function GlanceView() {
  const s = useStore();
  const r = s.rates;
  const drops = Object.entries(r.dropsByReason).sort((a, b) => b[1] - a[1]);
  return (
    <section class="glance-view">
      <div class="tiles">
        <div class="tile" data-testid="flows-per-sec">
          <span class="big">{r.flowsPerSec.toFixed(1)}</span> flows/s
        </div>
        <div class="tile" data-testid="dns-per-sec">
          <span class="big">{r.dnsPerSec.toFixed(1)}</span> DNS queries/s
        </div>
        <div class="tile">
          <span class="big">{s.workloads.length}</span> workloads
        </div>
        <div class="tile">
          <span class="big">{s.policies.length}</span> policies
        </div>
      </div>
      <article class="panel">
        <h2>Drops by reason (last 10 s)</h2>
        {drops.length === 0 ? <p>None.</p> : (
          <table class="flows" data-testid="drops-by-reason">
            <tbody>
              {drops.map(([k, v]) => (
                <tr key={k} class="DROPPED">
                  <th scope="row">{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </article>
      <article class="panel">
        <h2>Services</h2>
        <table class="flows" data-testid="services">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Address</th>
              <th scope="col">Ready</th>
              <th scope="col">Endpoints</th>
            </tr>
          </thead>
          <tbody>
            {s.services.map((v) => (
              <tr key={`${v.namespace}/${v.name}`} class={v.ready < v.endpoints.length || v.endpoints.length === 0 ? "DROPPED" : "FORWARDED"}>
                <td>
                  {v.namespace}/{v.name}
                </td>
                <td>{(v.vips ?? []).join(", ")}</td>
                <td>
                  {v.ready}/{v.endpoints.length}
                </td>
                <td>{v.endpoints.map((e) => `${e.workload} ${e.healthy ? "✓" : "✗"}`).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </article>
    </section>
  );
}
