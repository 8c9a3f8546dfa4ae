// POST /v1/cni/{add,del,check,status,gc}: the plugin binary relays env as X-Cni-* headers and
// stdin as the raw body; the answer is what the plugin prints, and X-Cni-Exit its exit status.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Engine } from "../engine";
import { CniAttachments } from "./attachments";
import { parseConfig, sniffVersion } from "./config";
import { envFromHeaders } from "./env";
import { CNI_CODE, CniError, errorObject, toCniError } from "./errors";

const MAX_CONFIG = 1 << 20;

async function rawBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_CONFIG) throw new CniError(CNI_CODE.INVALID_CONFIG, "network configuration too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, exit: 0 | 1, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body) + "\n";
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "x-cni-exit": String(exit) });
  res.end(text);
}

export function cniHandler(engine: Engine): (cmd: string, req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const attachments = new CniAttachments(engine);
  return async (cmd, req, res) => {
    let version = "1.1.0";
    try {
      const text = await rawBody(req);
      version = sniffVersion(text);
      const env = envFromHeaders(req.headers);
      if (env.command.toLowerCase() !== cmd) throw new CniError(CNI_CODE.INVALID_ENV, `CNI_COMMAND ${env.command} sent to /v1/cni/${cmd}`);
      const conf = parseConfig(text, env.command, env.args);
      switch (env.command) {
        case "ADD":
          return reply(res, 0, await attachments.add(env, conf, text));
        case "DEL":
          await attachments.del(env, conf, text);
          break;
        case "CHECK":
          await attachments.check(env, conf, text);
          break;
        case "STATUS":
          await attachments.status(conf);
          break;
        case "GC":
          await attachments.gc(conf);
          break;
      }
      reply(res, 0, undefined);
    } catch (e) {
      reply(res, 1, errorObject(toCniError(e), version));
    }
  };
}
