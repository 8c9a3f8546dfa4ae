// The Ponton web UI: four views over pontond's read API and live flows (docs/ui.md).
import { render } from "preact";
import { go, useRoute, VIEWS, type View } from "./route";
import { start, useStore } from "./store";
import { FlowsView } from "./views/flows";
import { GlanceView } from "./views/glance";
import { MapView } from "./views/map";
import { PlumbingView } from "./views/plumbing";
import { PoliciesView } from "./views/policies";

const TITLES: Record<View, string> = { map: "Service map", flows: "Flows", policies: "Policies", plumbing: "Plumbing", glance: "At a glance" };

function Tabs({ view }: { view: View }) {
  // Arrow keys move between tabs (WAI-ARIA tabs pattern); Tab moves into the view.
  const onKey = (e: KeyboardEvent) => {
    const i = VIEWS.indexOf(view);
    const next = e.key === "ArrowRight" ? VIEWS[(i + 1) % VIEWS.length] : e.key === "ArrowLeft" ? VIEWS[(i + VIEWS.length - 1) % VIEWS.length] : undefined;
    if (!next) return;
    e.preventDefault();
    go(next);
    requestAnimationFrame(() => document.getElementById(`tab-${next}`)?.focus());
  };
  return (
    <div role="tablist" aria-label="Views" onKeyDown={onKey}>
      {VIEWS.map((v) => (
        <button type="button" role="tab" id={`tab-${v}`} key={v} aria-selected={v === view} tabIndex={v === view ? 0 : -1} onClick={() => go(v)}>
          {TITLES[v]}
        </button>
      ))}
    </div>
  );
}

function App() {
  const { view, arg } = useRoute();
  const s = useStore();
  return (
    <>
      <header class="top">
        <h1>Ponton</h1>
        <Tabs view={view} />
        <span class={`live ${s.connected ? "on" : "off"}`} data-testid="live">
          {s.connected ? "● live" : "○ offline"}
        </span>
      </header>
      {s.error && (
        <p class="error" role="alert">
          {s.error}
        </p>
      )}
      <div role="tabpanel" class="view" aria-labelledby={`tab-${view}`}>
        {view === "map" && <MapView ns={arg || "default"} setNs={(ns) => go("map", ns)} />}
        {view === "flows" && <FlowsView key={arg} initialFilter={arg} />}
        {view === "policies" && <PoliciesView arg={arg} />}
        {view === "plumbing" && <PlumbingView />}
        {view === "glance" && <GlanceView />}
      </div>
    </>
  );
}

render(<App />, document.getElementById("app")!);
void start();
