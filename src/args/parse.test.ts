import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs } from "./parse";

const OPTIONS = {
  subnet: { type: "string" as const, description: "" },
  label: { type: "string" as const, multiple: true, description: "" },
  internal: { type: "boolean" as const, description: "" },
};

test("a one-value option given two different values is refused, not silently replaced", () => {
  assert.throws(() => parseArgs(["--subnet", "10.1.0.0/24", "--subnet", "10.2.0.0/24"], OPTIONS), /--subnet takes one value, given '10.1.0.0\/24' and '10.2.0.0\/24'/);
  assert.equal(parseArgs(["--subnet", "10.1.0.0/24", "--subnet=10.1.0.0/24"], OPTIONS).values.subnet, "10.1.0.0/24", "the same value twice is harmless");
  assert.deepEqual(parseArgs(["--label", "a=1", "--label", "b=2"], OPTIONS).values.label, ["a=1", "b=2"]);
  assert.equal(parseArgs(["--internal", "--internal"], OPTIONS).values.internal, true);
});
