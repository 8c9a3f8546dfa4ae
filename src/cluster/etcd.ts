// The etcd connection: one client per daemon; failures become STORE_UNAVAILABLE, naming the operation.
import { readFileSync, statSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Etcd3 } from "etcd3";
import { EngineError } from "../errors";
import type { EtcdTlsFiles } from "./options";

/** The TLS files' contents, as the gRPC channel takes them. */
export type EtcdCredentials = { rootCertificate: Buffer; certChain?: Buffer; privateKey?: Buffer };

export function connectEtcd(endpoints: string[], credentials?: EtcdCredentials): Etcd3 {
  // Short dial and call deadlines: a change is refused quickly when etcd is away, never left pending.
  return new Etcd3({ hosts: endpoints, dialTimeout: 3000, defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 5000 }), ...(credentials ? { credentials } : {}) });
}

/** The TLS files, read once at start; a private key others may read is refused, as ssh refuses one. */
export function readTls(tls: EtcdTlsFiles): EtcdCredentials {
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new EngineError("INVALID_ARGUMENT", `${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  if (tls.key !== undefined) {
    const mode = statSync(tls.key, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & 0o077) !== 0) {
      throw new EngineError("INVALID_ARGUMENT", `--etcd-key ${tls.key} is readable by others (mode ${(mode & 0o777).toString(8)})`, { hint: `chmod 600 ${tls.key}` });
    }
  }
  return {
    rootCertificate: tls.ca !== undefined ? read("--etcd-cacert", tls.ca) : Buffer.from(rootCertificates.join("\n")),
    ...(tls.cert !== undefined ? { certChain: read("--etcd-cert", tls.cert) } : {}),
    ...(tls.key !== undefined ? { privateKey: read("--etcd-key", tls.key) } : {}),
  };
}

/** Run an etcd call; any transport or server failure becomes STORE_UNAVAILABLE for `what`. */
export async function etcdCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError("STORE_UNAVAILABLE", `${what}: etcd did not answer (${(e as Error).message})`);
  }
}
