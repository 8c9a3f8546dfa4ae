import { test } from "node:test";
import assert from "node:assert/strict";
import type { ServiceFragment } from "./compile";
import { fragmentDelta } from "./fragment-delta";

const frag = (name: string): ServiceFragment => ({ id: name, name, chains: [], elements: [], endpoints: [] });

test("removed, added and replaced fragments are found by identity in key order; unchanged ones are not reported", () => {
  const [a, b, c, d] = ["a", "b", "c", "d"].map(frag) as [ServiceFragment, ServiceFragment, ServiceFragment, ServiceFragment];
  const c2 = frag("c");
  const e = frag("e");
  const delta = fragmentDelta([a, b, c, d], [a, c2, d, e]);
  assert.deepEqual(delta.gone, [b, c]);
  assert.equal(delta.gone[1], c);
  assert.deepEqual(delta.added, [c2, e]);
  assert.equal(delta.added[0], c2);
  assert.deepEqual(fragmentDelta([a, b], [a, b]), { gone: [], added: [] });
  assert.deepEqual(fragmentDelta([], [a]), { gone: [], added: [a] });
  assert.deepEqual(fragmentDelta([a], []), { gone: [a], added: [] });
});
