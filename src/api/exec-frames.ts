// The frames of a streamed `exec` (an upgraded connection, docs/cluster.md "Workloads on other
// nodes"): 1 byte channel, 4 bytes big-endian length, the bytes. Caller → owner: STDIN (length 0:
// end of input). Owner → caller: STDOUT, STDERR, then EXIT (4 bytes: the exit status) and the end.
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const EXIT = 3;
/** The header that carries the command line (JSON array, base64): an upgrade request has no body. */
export const EXEC_HEADER = "x-ponton-exec";
export const EXEC_PROTOCOL = "ponton-exec";

export function frame(channel: number, data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = channel;
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

export const exitFrame = (status: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(status);
  return frame(EXIT, b);
};

/** Splits a byte stream into frames, whatever the chunking. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (channel: number, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (this.buf.length < 5 + len) return;
      const channel = this.buf[0]!;
      const data = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      this.onFrame(channel, data);
    }
  }
}

export const encodeCommand = (argv: string[]) => Buffer.from(JSON.stringify(argv)).toString("base64");

/** The command line of an exec request, or undefined when the header is not a non-empty list of strings. */
export function decodeCommand(header: string | string[] | undefined): string[] | undefined {
  if (typeof header !== "string") return undefined;
  try {
    const v = JSON.parse(Buffer.from(header, "base64").toString()) as unknown;
    return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}
