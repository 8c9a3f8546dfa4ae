// RFC 7766 framing on a stream: each message is preceded by its 2-byte length. The length field
// bounds every message to 64 KiB, and we never hold more than one partial message per connection.

export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the complete messages they finish, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (this.buf.length < len + 2) break;
      out.push(this.buf.subarray(2, len + 2));
      this.buf = this.buf.subarray(len + 2);
    }
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }
}

export function frame(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(msg.length + 2);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}
