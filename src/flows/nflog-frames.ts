// Pure: the binary frames of bin/ponton-nflog (see its header comment) -> calls, chunk by chunk.
// A frame cut between two reads waits for the rest; nothing is copied for a whole frame.

export const FRAME = { packet: 1, string: 2, lost: 3, ready: 4, forget: 5 } as const;
/** A packet frame's header; the packet's first bytes follow it. */
export const PACKET_HEADER = 32;

export interface FrameSink {
  /** `bytes[at, at + length)` are the packet's first bytes; valid only during the call. */
  packet(bytes: Buffer, at: number, length: number, group: number, inId: number, outId: number, prefixId: number, mark: number, time: number): void;
  string(id: number, text: string): void;
  /** Packets the kernel numbered but we never got, and socket overflows (ENOBUFS). */
  lost(packets: number, overflows: number): void;
  ready(): void;
  forget(): void;
  /** A frame this reader does not know or a size that makes no sense: the stream is given up. */
  corrupt(): void;
}

export class FrameReader {
  private rest: Buffer | undefined;
  private broken = false;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    let b = chunk;
    if (this.rest) {
      b = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let at = 0;
    while (b.length - at >= 4) {
      const type = b.readUInt16LE(at);
      const size = b.readUInt16LE(at + 2);
      if (size < 8 || size % 8) return this.fail();
      if (b.length - at < size) break;
      this.frame(b, at, type, size);
      if (this.broken) return;
      at += size;
    }
    if (at < b.length) this.rest = Buffer.from(b.subarray(at));
  }

  private fail(): void {
    this.broken = true;
    this.rest = undefined;
    this.sink.corrupt();
  }

  private frame(b: Buffer, at: number, type: number, size: number): void {
    const s = this.sink;
    switch (type) {
      case FRAME.packet:
        if (size < PACKET_HEADER || PACKET_HEADER + b[at + 5]! > size) return this.fail();
        return s.packet(b, at + PACKET_HEADER, b[at + 5]!, b[at + 4]!, b.readUInt16LE(at + 6), b.readUInt16LE(at + 8), b.readUInt16LE(at + 10), b.readUInt32LE(at + 12), b.readDoubleLE(at + 16));
      case FRAME.string:
        return s.string(b.readUInt16LE(at + 4), b.toString("latin1", at + 8, at + 8 + Math.min(b[at + 6]!, size - 8)));
      case FRAME.lost:
        return s.lost(b.readUInt32LE(at + 8), b.readUInt32LE(at + 12));
      case FRAME.ready:
        return s.ready();
      case FRAME.forget:
        return s.forget();
      default:
        return this.fail();
    }
  }
}
