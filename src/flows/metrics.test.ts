import { test } from "node:test";
import assert from "node:assert/strict";
import { labelledSamples, renderMetrics } from "./metrics";

test("Prometheus text format with labels, escaped", () => {
  const text = renderMetrics([
    { name: "ponton_namespace_flows_total", help: "Flows.", type: "counter", samples: labelledSamples({ "y DROPPED": 2, "x FORWARDED": 5 }, ["namespace", "verdict"]) },
    { name: "ponton_up", help: "Up.", type: "gauge", samples: [{ value: 1 }, { labels: { why: 'a"b' }, value: 0 }] },
  ]);
  assert.equal(
    text,
    [
      "# HELP ponton_namespace_flows_total Flows.",
      "# TYPE ponton_namespace_flows_total counter",
      'ponton_namespace_flows_total{namespace="x",verdict="FORWARDED"} 5',
      'ponton_namespace_flows_total{namespace="y",verdict="DROPPED"} 2',
      "# HELP ponton_up Up.",
      "# TYPE ponton_up gauge",
      "ponton_up 1",
      'ponton_up{why="a\\"b"} 0',
      "",
    ].join("\n"),
  );
});
