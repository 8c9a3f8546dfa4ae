import assert from "node:assert/strict";
import { test } from "node:test";
import { FrameReader, frame } from "./tcp-framing";

test("frames split across chunks and several frames in one chunk are both reassembled", () => {
  const r = new FrameReader();
  const all = Buffer.concat([frame(Buffer.from("hello")), frame(Buffer.from("dns")), frame(Buffer.alloc(0))]);
  assert.deepEqual(r.push(all.subarray(0, 3)), []);
  const got = r.push(all.subarray(3));
  assert.deepEqual(got.map((b) => b.toString()), ["hello", "dns", ""]);
  assert.equal(r.buffered, 0);
});

test("a partial frame is kept until its length is reached", () => {
  const r = new FrameReader();
  assert.deepEqual(r.push(Buffer.from([0xff, 0xff, 1, 2, 3])), []);
  assert.equal(r.buffered, 5);
});
