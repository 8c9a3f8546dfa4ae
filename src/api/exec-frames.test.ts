import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeCommand, encodeCommand, EXIT, exitFrame, frame, FrameDecoder, STDERR, STDOUT } from "./exec-frames";

test("frames come out whole whatever the chunking", () => {
  const bytes = Buffer.concat([frame(STDOUT, Buffer.from("hello")), frame(STDERR, Buffer.alloc(0)), exitFrame(7)]);
  for (const step of [1, 2, 3, 7, bytes.length]) {
    const got: [number, string][] = [];
    const d = new FrameDecoder((c, data) => got.push([c, c === EXIT ? String(data.readInt32BE()) : data.toString()]));
    for (let i = 0; i < bytes.length; i += step) d.push(bytes.subarray(i, i + step));
    assert.deepEqual(got, [[STDOUT, "hello"], [STDERR, ""], [EXIT, "7"]], `chunks of ${step}`);
  }
});

test("a command line travels as a list of strings, anything else is refused", () => {
  assert.deepEqual(decodeCommand(encodeCommand(["sh", "-c", "echo hi"])), ["sh", "-c", "echo hi"]);
  assert.equal(decodeCommand(encodeCommand([])), undefined);
  assert.equal(decodeCommand(Buffer.from('[1,"x"]').toString("base64")), undefined);
  assert.equal(decodeCommand("%%%"), undefined);
  assert.equal(decodeCommand(undefined), undefined);
});
