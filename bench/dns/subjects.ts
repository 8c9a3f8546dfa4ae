// The three servers under test, each started pinned to cpu0 on 127.0.0.1 with its own port and
// the same 100 names, and considered ready once it answers anc-dns-1.
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import path from "node:path";
import * as dnsPacket from "dns-packet";
import { type Proc, start, track } from "./procs";

export const AARDVARK = "/usr/lib/podman/aardvark-dns";
export const PIN_SERVER = ["taskset", "-c", "0"];

export function nameOf(i: number): string {
  return `anc-dns-${i}`;
}

export function addressOf(i: number): string {
  return `10.88.${i >> 8}.${i & 255}`;
}

/** `udp`: the native fast path (the default) or Node's dgram (every query in JS, as before it). */
/** `serve`: another build's serve.js, for a before/after in one run. */
export async function startPonton(dir: string, port: number, names: number, udp: "native" | "node" = "native", serve = path.join(__dirname, "serve.js")): Promise<Proc> {
  let ready!: () => void;
  const up = new Promise<void>((r) => (ready = r));
  const argv = [...PIN_SERVER, process.execPath, serve, "--port", String(port), "--names", String(names), "--udp", udp];
  const p = start(`ponton-${udp}`, argv, path.join(dir, `ponton-${udp}.log`), (line) => {
    if (line.startsWith("ready ")) ready();
  });
  await Promise.race([up, p.exited.then(() => Promise.reject(new Error(`ponton serve exited; see ponton-${udp}.log`)))]);
  await waitAnswering(port);
  return p;
}

export async function startDnsmasq(dir: string, port: number, names: number): Promise<Proc> {
  const hosts = path.join(dir, "hosts");
  fs.writeFileSync(hosts, Array.from({ length: names }, (_, k) => `${addressOf(k + 1)} ${nameOf(k + 1)}\n`).join(""));
  const argv = [
    ...PIN_SERVER,
    "dnsmasq",
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    `--addn-hosts=${hosts}`,
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    `--port=${port}`,
    "--cache-size=10000",
  ];
  const p = start("dnsmasq", argv, path.join(dir, "dnsmasq.log"));
  await waitAnswering(port);
  return p;
}

/** aardvark forks into the background and writes its own PID: that PID is the one we track. */
export async function startAardvark(dir: string, port: number, names: number): Promise<Proc> {
  const conf = path.join(dir, "aardvark");
  fs.mkdirSync(conf, { recursive: true });
  const lines = Array.from({ length: names }, (_, k) => `${(k + 1).toString(16).padStart(64, "0")} ${addressOf(k + 1)}  ${nameOf(k + 1)}`);
  fs.writeFileSync(path.join(conf, "ancdns"), ["127.0.0.1", ...lines].join("\n") + "\n");
  const launcher = start("aardvark launcher", [...PIN_SERVER, AARDVARK, "--config", conf, "-p", String(port), "run"], path.join(dir, "aardvark.log"));
  await launcher.exited;
  const pidFile = path.join(conf, "aardvark.pid");
  const deadline = Date.now() + 5000;
  while (!fs.existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1 || !fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("aardvark-dns")) {
    throw new Error(`aardvark pid file ${pidFile} does not name an aardvark-dns process`);
  }
  const p = track({ label: "aardvark-dns", pid, exited: new Promise(() => undefined) });
  await waitAnswering(port);
  return p;
}

/** Polls with a real query until NOERROR with an answer, for up to 5 s. */
export async function waitAnswering(port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  const msg = dnsPacket.encode({ type: "query", id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: nameOf(1), type: "A" }] });
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket("udp4");
      const t = setTimeout(() => done(false), 200);
      const done = (v: boolean) => {
        clearTimeout(t);
        s.close();
        resolve(v);
      };
      s.on("error", () => done(false));
      s.on("message", (m) => done(dnsPacket.decode(m).answers!.length > 0));
      s.send(msg, port, "127.0.0.1");
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answers ${nameOf(1)} on 127.0.0.1:${port}`);
}
