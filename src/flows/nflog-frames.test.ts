import { test } from "node:test";
import assert from "node:assert/strict";
import { FRAME, FrameReader, PACKET_HEADER, type FrameSink } from "./nflog-frames";

/** Frames as ponton-nflog writes them (little-endian, sizes rounded up to 8). */
function frame(type: number, body: Buffer): Buffer {
  const size = Math.ceil((4 + body.length) / 8) * 8;
  const f = Buffer.alloc(size);
  f.writeUInt16LE(type, 0);
  f.writeUInt16LE(size, 2);
  body.copy(f, 4);
  return f;
}
function packetFrame(group: number, payload: Buffer, ids: [number, number, number], mark: number, time: number): Buffer {
  const h = Buffer.alloc(PACKET_HEADER - 4);
  h[0] = group;
  h[1] = payload.length;
  h.writeUInt16LE(ids[0], 2);
  h.writeUInt16LE(ids[1], 4);
  h.writeUInt16LE(ids[2], 6);
  h.writeUInt32LE(mark, 8);
  h.writeDoubleLE(time, 12);
  return frame(FRAME.packet, Buffer.concat([h, payload]));
}
function stringFrame(id: number, text: string): Buffer {
  const b = Buffer.alloc(4 + text.length);
  b.writeUInt16LE(id, 0);
  b[2] = text.length;
  b.write(text, 4, "latin1");
  return frame(FRAME.string, b);
}
function lostFrame(packets: number, overflows: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 3;
  b.writeUInt32LE(packets, 4);
  b.writeUInt32LE(overflows, 8);
  return frame(FRAME.lost, b);
}

function recorder(): { sink: FrameSink; calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    sink: {
      packet: (b, at, length, ...rest) => calls.push(["packet", b.toString("hex", at, at + length), ...rest]),
      string: (id, text) => calls.push(["string", id, text]),
      lost: (p, o) => calls.push(["lost", p, o]),
      ready: () => calls.push(["ready"]),
      forget: () => calls.push(["forget"]),
      corrupt: () => calls.push(["corrupt"]),
    },
  };
}

const stream = Buffer.concat([
  frame(FRAME.ready, Buffer.alloc(0)),
  stringFrame(1, "pbr-n1"),
  stringFrame(2, "pol-in-drop "),
  packetFrame(2, Buffer.from("4500aabbccdd", "hex"), [1, 0, 2], 0x12345, 1_700_000_000.25),
  lostFrame(7, 1),
  frame(FRAME.forget, Buffer.alloc(0)),
]);
const expected = [
  ["ready"],
  ["string", 1, "pbr-n1"],
  ["string", 2, "pol-in-drop "],
  ["packet", "4500aabbccdd", 2, 1, 0, 2, 0x12345, 1_700_000_000.25],
  ["lost", 7, 1],
  ["forget"],
];

test("each frame kind reaches its call, in order", () => {
  const { sink, calls } = recorder();
  new FrameReader(sink).push(stream);
  assert.deepEqual(calls, expected);
});

test("frames split anywhere between reads come out the same", () => {
  for (const cut of [1, 3, 7, 8, 13, 40, 61, stream.length - 1]) {
    const { sink, calls } = recorder();
    const r = new FrameReader(sink);
    r.push(stream.subarray(0, cut));
    r.push(stream.subarray(cut));
    assert.deepEqual(calls, expected, `cut at ${cut}`);
  }
  const { sink, calls } = recorder();
  const r = new FrameReader(sink);
  for (let i = 0; i < stream.length; i++) r.push(stream.subarray(i, i + 1));
  assert.deepEqual(calls, expected, "byte by byte");
});

test("an unknown frame or a size that cannot be gives up the stream once", () => {
  for (const bad of [frame(99, Buffer.alloc(4)), Buffer.from([1, 0, 5, 0, 0, 0, 0, 0]), packetFrame(3, Buffer.alloc(0), [0, 0, 0], 0, 0).fill(200, 5, 6)]) {
    const { sink, calls } = recorder();
    const r = new FrameReader(sink);
    r.push(Buffer.concat([bad, stream]));
    r.push(stream);
    assert.deepEqual(calls, [["corrupt"]]);
  }
});
