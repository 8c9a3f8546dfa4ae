// A throwaway certificate authority made with openssl: a CA, certificates signed by it for servers
// (by IP address) and clients (by name). Keys are written 0600, as a careful operator would.
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sh } from "../harness";

async function openssl(...args: string[]): Promise<void> {
  const r = await sh("openssl", args);
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

export class TestCa {
  readonly cert: string;
  private readonly key: string;

  private constructor(private readonly dir: string, name: string) {
    this.cert = path.join(dir, `${name}.pem`);
    this.key = path.join(dir, `${name}-key.pem`);
  }

  static async create(dir: string, name = "ca"): Promise<TestCa> {
    const ca = new TestCa(dir, name);
    await openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca.key, "-out", ca.cert, "-days", "1", "-subj", `/CN=${name}`);
    chmodSync(ca.key, 0o600);
    return ca;
  }

  /** A certificate for `name`: a server one when `ip` is given (the address clients dial), else a client one. */
  async issue(name: string, ip?: string): Promise<{ cert: string; key: string }> {
    const cert = path.join(this.dir, `${name}.pem`);
    const key = path.join(this.dir, `${name}-key.pem`);
    const csr = path.join(this.dir, `${name}.csr`);
    const ext = path.join(this.dir, `${name}.ext`);
    writeFileSync(ext, ip ? `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth,clientAuth\n` : "extendedKeyUsage=clientAuth\n");
    await openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=${name}`);
    chmodSync(key, 0o600);
    await openssl("x509", "-req", "-in", csr, "-CA", this.cert, "-CAkey", this.key, "-CAcreateserial", "-out", cert, "-days", "1", "-extfile", ext);
    return { cert, key };
  }
}
