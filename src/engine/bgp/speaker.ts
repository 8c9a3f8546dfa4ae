// This host's BGP speaker: FRR's bgpd, started and supervised by pontond in its own network
// namespace, with its own config, vty socket and pid file under <state>/bgp (never the system's FRR
// service). bgpd runs without zebra (-Z): it announces, it installs nothing here. Announcements
// change live through vtysh; a change of ASN or peers restarts it (graceful restart: the peers keep
// the routes meanwhile). Missing or dead, it is a coded state in `ponton bgp status`.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { frrConfig, networkLines, sameSessions, type BgpPlan, type BgpPlanResult } from "../../compile/bgp/bgp-plan";
import type { Executor } from "../../kernel";

export type SpeakerCode = "NO_POLICY" | "POLICY_CONFLICT" | "RUNNING" | "SPEAKER_MISSING" | "SPEAKER_DIED" | "SPEAKER_FAILED";

export interface SpeakerState {
  code: SpeakerCode;
  message: string;
  /** Times the speaker was started again after it died. */
  restarts: number;
  pid?: number;
  plan?: BgpPlan;
}

export const BGPD = process.env.PONTON_BGPD ?? "/usr/lib/frr/bgpd";
export const VTYSH = process.env.PONTON_VTYSH ?? "/usr/bin/vtysh";

export class BgpSpeaker {
  private child: ChildProcess | undefined;
  private running: BgpPlan | undefined;
  private wanted: BgpPlan | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 1000;
  private closed = false;
  state: SpeakerState = { code: "NO_POLICY", message: "no CiliumBGPPeeringPolicy selects this node", restarts: 0 };

  constructor(
    private readonly dir: string,
    private readonly exec: Executor,
  ) {}

  private get files() {
    return { conf: path.join(this.dir, "bgpd.conf"), pid: path.join(this.dir, "bgpd.pid"), log: path.join(this.dir, "bgpd.log"), vty: path.join(this.dir, "bgpd.vty") };
  }

  /** Bring the speaker to the plan (or stop it). Called after every change; a no-op when nothing moved. */
  async apply(result: BgpPlanResult): Promise<void> {
    if ("none" in result || "conflict" in result) {
      this.wanted = undefined;
      this.kill();
      this.state = "conflict" in result
        ? { code: "POLICY_CONFLICT", message: `several CiliumBGPPeeringPolicies select this node: ${result.conflict.join(", ")}; nothing is announced`, restarts: this.state.restarts }
        : { code: "NO_POLICY", message: "no CiliumBGPPeeringPolicy selects this node", restarts: this.state.restarts };
      return;
    }
    const plan = result.plan;
    this.wanted = plan;
    const live = this.running && this.child && this.child.exitCode === null;
    if (live && JSON.stringify(this.running) === JSON.stringify(plan)) return;
    if (live && sameSessions(this.running!, plan) && (await this.updateNetworks(this.running!, plan))) {
      this.running = plan;
      this.state = { ...this.state, plan };
      writeFileSync(this.files.conf, frrConfig(plan, await this.routerId(plan), this.files.log));
      return;
    }
    this.kill();
    await this.start(plan);
  }

  /** `no network` / `network` through vtysh: the sessions stay up. false: do it by a restart. */
  private async updateNetworks(from: BgpPlan, to: BgpPlan): Promise<boolean> {
    const args: string[] = ["--vty_socket", this.dir, "-c", "configure terminal", "-c", `router bgp ${to.localASN}`];
    for (const v4 of [true, false]) {
      const before = new Set(networkLines(from.prefixes, v4));
      const after = new Set(networkLines(to.prefixes, v4));
      const cmds = [...[...before].filter((l) => !after.has(l)).map((l) => `no ${l}`), ...[...after].filter((l) => !before.has(l))];
      if (cmds.length === 0) continue;
      if (!to.neighbors.some((n) => n.peerAddress.includes(":") !== v4)) continue;
      args.push("-c", `address-family ${v4 ? "ipv4" : "ipv6"} unicast`, ...cmds.flatMap((c) => ["-c", c]), "-c", "exit-address-family");
    }
    try {
      await this.exec.run(VTYSH, args);
      return true;
    } catch {
      return false;
    }
  }

  private async start(plan: BgpPlan): Promise<void> {
    clearTimeout(this.retry);
    if (!existsSync(BGPD)) {
      this.state = { code: "SPEAKER_MISSING", message: `FRR's bgpd is not at ${BGPD}: install it (apt-get install frr) or set PONTON_BGPD; nothing is announced`, restarts: this.state.restarts, plan };
      return;
    }
    mkdirSync(this.dir, { recursive: true });
    this.killStale();
    writeFileSync(this.files.conf, frrConfig(plan, await this.routerId(plan), this.files.log));
    const out = openSync(this.files.log, "a");
    // -S: stay root (no frr user or frrvty group needed); -P 0: no vty TCP port; -Z: no zebra.
    const child = spawn(BGPD, ["-Z", "-S", "-P", "0", "-f", this.files.conf, "-i", this.files.pid, "--vty_socket", this.dir], { stdio: ["ignore", out, out] });
    closeSync(out);
    this.child = child;
    this.running = plan;
    this.state = { code: "RUNNING", message: `bgpd announces ${plan.prefixes.length} prefixes to ${plan.neighbors.length} peers`, restarts: this.state.restarts, ...(child.pid ? { pid: child.pid } : {}), plan };
    child.on("error", (e) => this.died(child, `could not start ${BGPD}: ${e.message}`));
    child.on("exit", (code, signal) => this.died(child, `bgpd (pid ${child.pid}) exited ${signal ? `on ${signal}` : `with code ${code}`}; see ${this.files.log}`));
  }

  private died(child: ChildProcess, message: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.running = undefined;
    if (this.closed || !this.wanted) return;
    this.state = { code: "SPEAKER_DIED", message: `${message}; started again in ${this.backoffMs / 1000} s`, restarts: this.state.restarts, ...(this.wanted ? { plan: this.wanted } : {}) };
    this.retry = setTimeout(() => {
      const plan = this.wanted;
      if (!plan || this.closed || this.child) return;
      this.state.restarts++;
      void this.start(plan);
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }

  /** A bgpd of a previous pontond (same pid file) would hold port 179 and the vty socket. */
  private killStale(): void {
    try {
      const pid = Number(readFileSync(this.files.pid, "utf8").trim());
      if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(this.dir)) process.kill(pid, "SIGKILL");
    } catch {
      // none
    }
  }

  /** SIGKILL, not SIGTERM: no Cease notification, so graceful-restart peers keep the routes. */
  private kill(): void {
    clearTimeout(this.retry);
    const c = this.child;
    this.child = undefined;
    this.running = undefined;
    if (c?.pid && c.exitCode === null) c.kill("SIGKILL");
  }

  /** The router id: this host's IPv4 source address towards the first IPv4 peer (any IPv4 address else). */
  private async routerId(plan: BgpPlan): Promise<string> {
    const peer = plan.neighbors.find((n) => !n.peerAddress.includes(":"));
    try {
      if (peer) {
        const r = JSON.parse((await this.exec.run("ip", ["-j", "route", "get", peer.peerAddress])).stdout) as { prefsrc?: string }[];
        if (r[0]?.prefsrc) return r[0].prefsrc;
      }
      const a = JSON.parse((await this.exec.run("ip", ["-j", "-4", "addr", "show", "scope", "global"])).stdout) as { addr_info: { local: string }[] }[];
      const ip = a.flatMap((l) => l.addr_info.map((x) => x.local))[0];
      if (ip) return ip;
    } catch {
      // below
    }
    return "192.0.2.1";
  }

  /** Sessions read back from the speaker (`show bgp summary json`). */
  async peers(): Promise<unknown> {
    if (this.state.code !== "RUNNING") return {};
    try {
      return JSON.parse((await this.exec.run(VTYSH, ["--vty_socket", this.dir, "-c", "show bgp summary json"])).stdout);
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  close(): void {
    this.closed = true;
    this.kill();
  }
}
