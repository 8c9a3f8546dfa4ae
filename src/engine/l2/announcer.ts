// Runs bin/ponton-l2 (native/ponton-l2) in pontond's namespace: it answers ARP and NDP for the
// plan's addresses on the plan's interfaces and sends gratuitous ARP / unsolicited NA for each
// address it takes. The helper lives while there is something to announce; it dies with pontond
// (stdin closed, parent-death signal), so a dead node stops answering and another can take over.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { responderLines, type L2Link, type L2Plan } from "../../compile/l2/l2-plan";
import type { Executor } from "../../kernel";

export const L2_HELPER = process.env.PONTON_L2 ?? path.resolve(__dirname, "..", "..", "..", "..", "bin", "ponton-l2");
const ANSWER_TIMEOUT_MS = 5000;

export type L2Code = "ANNOUNCING" | "IDLE" | "HELPER_MISSING" | "HELPER_DIED";

export interface L2State {
  code: L2Code;
  message: string;
  /** Times the helper was started again after it died. */
  restarts: number;
  pid?: number;
  interfaces: { name: string; addresses: string[] }[];
  /** Interfaces of the plan the helper could not open (gone, no MAC). */
  missing: string[];
  /** Gratuitous ARP / unsolicited NA sent since pontond started. */
  announcements: number;
}

/** This namespace's links as the plan sees them. Ponton's own: bridges, VXLAN, pbr-/pv-/ponton names. */
export async function readLinks(exec: Executor): Promise<L2Link[]> {
  const out = JSON.parse((await exec.run("ip", ["-j", "-d", "link", "show"])).stdout) as { ifname: string; link_type?: string; linkinfo?: { info_kind?: string } }[];
  return out.map((l) => ({
    name: l.ifname,
    ether: l.link_type === "ether",
    owned: /^(pbr-|pv-|ponton)/.test(l.ifname) || ["bridge", "vxlan"].includes(l.linkinfo?.info_kind ?? ""),
  }));
}

/** One announcer per address among several nodes (the cluster's etcd leases); absent: this host announces every address. */
export interface L2Arbiter {
  /** The addresses this node's policies want announced. */
  want(ips: readonly string[]): void;
  holds(ip: string): boolean;
  /** Address → node announcing it. */
  holdersView(): Record<string, string>;
}

export class L2Announcer {
  private child: ChildProcess | undefined;
  private sent = "";
  private gen = 0;
  private waiting: { gen: number; done: (err?: Error) => void } | undefined;
  private missingNow: string[] = [];
  private wanted: L2Plan | undefined;
  private queue: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 1000;
  private closed = false;
  state: L2State = { code: "IDLE", message: "no CiliumL2AnnouncementPolicy announces an address from this node", restarts: 0, interfaces: [], missing: [], announcements: 0 };

  /** Bring the helper to the plan; resolves once it answers with the new set (or failed, see state). */
  apply(plan: L2Plan): Promise<void> {
    this.wanted = plan;
    this.queue = this.queue.then(() => this.bring(plan)).catch(() => undefined);
    return this.queue;
  }

  private async bring(plan: L2Plan): Promise<void> {
    if (this.closed) return;
    const base = { restarts: this.state.restarts, announcements: this.state.announcements };
    if (plan.interfaces.length === 0) {
      this.stop();
      this.state = { ...base, code: "IDLE", message: plan.wanted.length ? `addresses wanted (${plan.wanted.join(", ")}) but none is held by this node or no interface matches` : "no CiliumL2AnnouncementPolicy announces an address from this node", interfaces: [], missing: [] };
      return;
    }
    const text = responderLines(plan);
    if (this.child && text === this.sent) return;
    if (!this.child) {
      if (!existsSync(L2_HELPER)) {
        this.state = { ...base, code: "HELPER_MISSING", message: `${L2_HELPER} is missing: run 'npm run build' (or set PONTON_L2); nothing is answered`, interfaces: [], missing: [] };
        return;
      }
      this.start();
    }
    const gen = ++this.gen;
    this.missingNow = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("bin/ponton-l2 did not answer")), ANSWER_TIMEOUT_MS);
      this.waiting = { gen, done: (err) => (clearTimeout(timer), err ? reject(err) : resolve()) };
      this.child!.stdin!.write(text);
    }).catch((e: Error) => {
      // Not answering: end it; its exit handler starts another after the back-off.
      this.state = { ...this.state, code: "HELPER_DIED", message: e.message };
      this.child?.kill("SIGKILL");
      throw e;
    });
    this.sent = text;
    this.backoffMs = 1000;
    const n = plan.interfaces.reduce((k, i) => k + i.addresses.length, 0);
    this.state = {
      restarts: this.state.restarts,
      announcements: this.state.announcements,
      code: "ANNOUNCING",
      message: `answering ARP/NDP for ${n} address${n === 1 ? "" : "es"} on ${plan.interfaces.map((i) => i.name).join(", ")}`,
      ...(this.child?.pid ? { pid: this.child.pid } : {}),
      interfaces: plan.interfaces.filter((i) => !this.missingNow.includes(i.name)),
      missing: this.missingNow,
    };
  }

  private start(): void {
    clearTimeout(this.retry);
    const child = spawn(L2_HELPER, [], { stdio: ["pipe", "pipe", "inherit"] });
    this.child = child;
    this.sent = "";
    // The helper numbers the commits it received from 1.
    this.gen = 0;
    child.stdin!.on("error", () => undefined);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const [word, a, b] = line.split(" ");
      if (word === "ok" && this.waiting && Number(a) === this.waiting.gen) {
        const w = this.waiting;
        this.waiting = undefined;
        w.done();
      } else if (word === "missing" && a) this.missingNow.push(a);
      else if (word === "announce" && a && b) {
        this.state.announcements++;
        console.error(`pontond: L2: took ${b} on ${a} (gratuitous ${b.includes(":") ? "neighbour advertisement" : "ARP"} sent)`);
      }
    });
    child.on("error", () => undefined);
    child.on("exit", (code, signal) => this.died(child, `bin/ponton-l2 (pid ${child.pid}) exited ${signal ? `on ${signal}` : `with code ${code}`}`));
  }

  private died(child: ChildProcess, message: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.sent = "";
    this.waiting?.done(new Error(message));
    this.waiting = undefined;
    if (this.closed || !this.wanted?.interfaces.length) return;
    this.state = { ...this.state, code: "HELPER_DIED", message: `${message}; started again in ${this.backoffMs / 1000} s` };
    this.retry = setTimeout(() => {
      if (this.closed || this.child || !this.wanted) return;
      this.state.restarts++;
      void this.apply(this.wanted);
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  /** Closing its stdin ends the helper: the addresses stop being answered at once. */
  private stop(): void {
    clearTimeout(this.retry);
    const c = this.child;
    this.child = undefined;
    this.sent = "";
    if (c) {
      c.stdin!.end();
      if (c.exitCode === null) c.kill("SIGTERM");
    }
  }

  close(): void {
    this.closed = true;
    this.stop();
  }
}
