// Pure: counters -> Prometheus text exposition format (version 0.0.4).

export interface Metric {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: { labels?: Record<string, string>; value: number }[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

export function renderMetrics(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {});
      const text = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
      lines.push(`${m.name}${text} ${s.value}`);
    }
  }
  return lines.join("\n") + "\n";
}

export const counter = (name: string, help: string, samples: Metric["samples"]): Metric => ({ name, help, type: "counter", samples });
export const gauge = (name: string, help: string, value: number): Metric => ({ name, help, type: "gauge", samples: [{ value }] });

/** A counter keyed by one or more label values ("a b" keys split on spaces into `labels`). */
export function labelledSamples(counts: Record<string, number>, labels: string[]): Metric["samples"] {
  return Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => {
      const parts = key.split(" ");
      return { labels: Object.fromEntries(labels.map((l, i) => [l, parts[i] ?? ""])), value };
    });
}
