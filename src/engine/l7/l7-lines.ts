// HAProxy's request lines into the flow ring without building a record per request: each line is
// scanned for what the counters need (worker and counter, section, source address, method,
// status, admitting source) and kept as it came; the record (URL and Host decoded, names from the
// directory, the summary) is built only when someone reads it (observe, the flow API, the UI, a
// follower or the policy log). A batch of lines shares one builder: the directory and the
// listeners pontond had when they came, so a record built later says what it would have said then.
import { parseHaproxyLog, scanHaproxyLog } from "../../l7/haproxy-log";
import type { L7Event } from "../../l7/l7-event";
import type { L7Listener } from "../../policy";
import type { Decision } from "../../flows/decision";
import type { RawBuilder } from "../../flows/flow-slot";
import { l7FlowRecord } from "../../flows/l7-record";
import type { FlowDirectory, FlowRecord } from "../../flows/record";
import type { FlowRing } from "../../flows/ring";

/** What one batch counts besides the ring's own counters. */
export interface L7Counts {
  /** `${method} ${status} ${verdict}` -> requests. */
  requests: Record<string, number>;
  /** Gaps in a worker's request counter. */
  lost: number;
  /** Worker pid -> its last request counter. */
  lastCounter: Map<number, number>;
}

const DENIED: Decision = { verdict: "DROPPED", dropReason: "POLICY_DENIED", summary: "", policies: [] };

/** The lines of one batch: what pontond knew when they came. */
export class L7LineBuilder implements RawBuilder {
  /** `${section} ${source}` -> the decision the counters and the policy log's filter see. */
  private readonly decisions = new Map<string, Decision>();
  private readonly sections = new Map<string, Section>();

  constructor(private readonly dir: FlowDirectory, private readonly bySection: ReadonlyMap<string, L7Listener>) {}

  record(line: string, seq: number): FlowRecord {
    const r = parseHaproxyLog(line)!;
    const [egress, guarded, guardedPort] = this.section(r.section);
    // Egress: the section names the client; the destination is where it connected.
    const [dst, dport] = egress ? [r.to?.ip ?? "", r.to?.port ?? guardedPort] : [guarded, guardedPort];
    const rule = this.rule(r.section, r.source);
    const e: L7Event = { ...r.event, dst, dport, direction: egress ? "egress" : "ingress", ...(rule ? { rule } : {}) };
    return l7FlowRecord(e, this.dir, seq);
  }

  private section(name: string): Section {
    let s = this.sections.get(name);
    if (!s) this.sections.set(name, (s = splitSection(name)));
    return s;
  }

  private rule(section: string, source: number | undefined) {
    return source !== undefined ? this.bySection.get(section)?.sources[source]?.rule : undefined;
  }

  /** Counts each request line and keeps it in the ring (other lines are skipped, as before). */
  push(lines: readonly string[], ring: FlowRing, counts: L7Counts): void {
    for (const line of lines) {
      const s = scanHaproxyLog(line);
      if (!s) continue;
      const last = counts.lastCounter.get(s.pid);
      if (last !== undefined && s.counter > last + 1) counts.lost += s.counter - last - 1;
      counts.lastCounter.set(s.pid, s.counter);
      const denied = s.source === "-";
      const key = `${s.method} ${s.status} ${denied ? "DROPPED" : "FORWARDED"}`;
      counts.requests[key] = (counts.requests[key] ?? 0) + 1;
      const [egress, guarded] = this.section(s.section);
      const dst = egress ? s.toIp ?? "" : guarded;
      ring.pushLine(line, this, denied ? DENIED : this.allowed(s.section, s.source), this.dir.byIp.get(s.src)?.namespace, this.dir.byIp.get(dst)?.namespace);
    }
  }

  /** What l7FlowRecord says of an allowed request, but its summary (the policy log's filter reads verdict and rule). */
  private allowed(section: string, source: string): Decision {
    const key = `${section} ${source}`;
    let d = this.decisions.get(key);
    if (!d) {
      const rule = this.rule(section, Number(source));
      this.decisions.set(key, (d = { verdict: "FORWARDED", summary: "", policies: rule ? [rule.policy] : [], ...(rule ? { rule } : {}) }));
    }
    return d;
  }
}

/** Egress?, the address and the port a section names. */
type Section = [boolean, string, number];

/** `l7_ADDR:PORT` (ingress: the guarded workload) or `l7e_ADDR:PORT` (egress: the client). */
function splitSection(name: string): Section {
  const m = /^(l7e?)_(.+):(\d+)$/.exec(name);
  return m ? [m[1] === "l7e", m[2]!, Number(m[3])] : [false, "", 0];
}
