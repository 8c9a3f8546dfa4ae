// kubernetes.io/metadata.name is a namespace's name, set by Ponton and immutable (as in Kubernetes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError } from "../errors";
import { indexWorld } from "../policy/world";
import { editNamespaceLabels, namespaceLabels } from "./namespaces";
import { parseProjectFile } from "./project/project-file";

const NAME = "kubernetes.io/metadata.name";
const refused = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof EngineError && e.code === "INVALID_ARGUMENT" && re.test(e.message));

test("the name label is always added, may repeat the name, and is refused with any other value", () => {
  assert.deepEqual(namespaceLabels("q", { team: "a" }), { team: "a", [NAME]: "q" });
  assert.deepEqual(namespaceLabels("q", { [NAME]: "q" }), { [NAME]: "q" });
  refused(() => namespaceLabels("z", { [NAME]: "x" }), /namespace z: label kubernetes.io\/metadata.name .* cannot be 'x'/);
});

test("label edits cannot change or remove it; other edits keep it", () => {
  const labels = { team: "a", [NAME]: "z" };
  refused(() => editNamespaceLabels("z", labels, { set: { [NAME]: "x" } }), /cannot be 'x'/);
  refused(() => editNamespaceLabels("z", labels, { remove: [NAME] }), /cannot be removed/);
  assert.deepEqual(editNamespaceLabels("z", labels, { remove: ["team"], set: { env: "prod" } }), { env: "prod", [NAME]: "z" });
  assert.deepEqual(editNamespaceLabels("z", {}, {}), { [NAME]: "z" }, "a record without it (older pontond) gets it");
});

test("policies see a namespace's own name even if a stored record says otherwise", () => {
  const world = indexWorld({ namespaces: [{ name: "z", labels: { [NAME]: "x" } }], workloads: [{ name: "a", namespace: "z", labels: {}, ips: ["10.0.0.2"], ports: [] }] });
  assert.equal(world.workloads[0]!.namespaceLabels[NAME], "z");
});

test("a project file cannot give a namespace another's name label", () => {
  refused(() => parseProjectFile("name: p\nnamespaces:\n  z:\n    labels: {kubernetes.io/metadata.name: x}\n", "p"), /namespace z: label kubernetes.io\/metadata.name/);
});
