import { test } from "node:test";
import assert from "node:assert/strict";
import { flowQueryOf } from "./flow-relay";

test("a peer's and the local query keep every filter observe sends (--type l7 and the HTTP ones were dropped: every record came back)", () => {
  const q = flowQueryOf(new URLSearchParams("type=l7&httpMethod=PUT&httpPath=%2Fv1%2F.*&httpStatus=4%2B&dns=example.com&verdict=DROPPED&limit=5&follow=1"));
  assert.deepEqual(q, { verdict: "DROPPED", type: "l7", httpMethod: "PUT", httpPath: "/v1/.*", httpStatus: "4+", dns: "example.com" });
});
