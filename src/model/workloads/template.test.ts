import { test } from "node:test";
import assert from "node:assert/strict";
import { checkReplicable, MAX_REPLICAS, parseReplicas, parseScaleArgs, planScale, replicaEnv, replicaName, validateTemplateName } from "./template";

const code = (c: string) => (e: { code?: string }) => e.code === c;

test("replica names are NAME-INDEX and always valid workload names", () => {
  assert.equal(replicaName("web", 3), "web-3");
  const longest = validateTemplateName("a".repeat(58));
  assert.match(replicaName(longest, MAX_REPLICAS), /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/);
  assert.throws(() => validateTemplateName("a".repeat(59)), code("INVALID_NAME"));
  assert.throws(() => validateTemplateName("-web"), code("INVALID_NAME"));
  assert.throws(() => validateTemplateName(""), code("INVALID_NAME"));
});

test("replica counts: whole numbers 0..MAX, strings from the command line too", () => {
  assert.equal(parseReplicas(0), 0);
  assert.equal(parseReplicas("5"), 5);
  assert.equal(parseReplicas(MAX_REPLICAS), MAX_REPLICAS);
  for (const bad of ["x", "1.5", 2.5, "", null, undefined, true, "5x", MAX_REPLICAS + 1]) assert.throws(() => parseReplicas(bad), code("INVALID_ARGUMENT"), String(bad));
  assert.throws(() => parseReplicas("-1"), (e: Error & { code?: string }) => e.code === "INVALID_ARGUMENT" && /negative/.test(e.message));
});

test("scale arguments: NAME=N pairs, all checked before any is returned", () => {
  assert.deepEqual(parseScaleArgs(["web=5", "db=0"]), { web: 5, db: 0 });
  assert.throws(() => parseScaleArgs([]), code("INVALID_ARGUMENT"));
  assert.throws(() => parseScaleArgs(["web"]), code("INVALID_ARGUMENT"));
  assert.throws(() => parseScaleArgs(["=3"]), code("INVALID_ARGUMENT"));
  assert.throws(() => parseScaleArgs(["web=2", "web=3"]), code("INVALID_ARGUMENT"));
  assert.throws(() => parseScaleArgs(["web=2", "db=-1"]), code("INVALID_ARGUMENT"));
  assert.throws(() => parseScaleArgs(["we b=2"]), code("INVALID_NAME"));
});

test("planScale grows into the lowest free indexes and shrinks highest first", () => {
  const none = new Set<string>();
  assert.deepEqual(planScale("web", [], none, 3), { add: [1, 2, 3], remove: [] });
  assert.deepEqual(planScale("web", [1, 2, 5], none, 5), { add: [3, 4], remove: [] });
  assert.deepEqual(planScale("web", [1, 2, 3, 4, 5], none, 1), { add: [], remove: [5, 4, 3, 2] });
  assert.deepEqual(planScale("web", [3, 1, 2], none, 3), { add: [], remove: [] });
  assert.deepEqual(planScale("web", [2, 7], none, 0), { add: [], remove: [7, 2] });
  // A name another workload holds is not free.
  assert.deepEqual(planScale("web", [1], new Set(["web-2"]), 3), { add: [3, 4], remove: [] });
});

test("settings only one workload can hold are refused with more than one replica", () => {
  assert.doesNotThrow(() => checkReplicable("web", { name: "web", ports: ["8080:80"] }, 1));
  assert.throws(() => checkReplicable("web", { name: "web", ports: ["8080:80"] }, 2), code("PORT_IN_USE"));
  assert.throws(() => checkReplicable("web", { name: "web", networks: [{ network: "n", ip: "10.0.0.5" }] }, 2), code("ADDRESS_IN_USE"));
  assert.doesNotThrow(() => checkReplicable("web", { name: "web", networks: ["n", { network: "m" }], aliases: ["www"] }, 5));
  assert.throws(() => checkReplicable("web", { name: "web", netns: "/run/netns/x" }, 1), code("UNSUPPORTED"));
});

test("each replica's environment names it", () => {
  assert.deepEqual(replicaEnv("web", 2), { PONTON_TEMPLATE: "web", PONTON_REPLICA_INDEX: "2", PONTON_REPLICA_NAME: "web-2" });
});
