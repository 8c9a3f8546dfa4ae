// Correctness checks on a sample, run after all ADDs (untimed). A benchmark of something that
// does not work is worthless, so a failed check is printed as FAIL, never hidden.
import * as fs from "node:fs";
import { inNs, inspectAddr, killAndWait, startBackground, vethCount } from "../lib/netns";
import { nowMs, run, sleep } from "../lib/proc";
import { Subject, hostPort } from "./subject";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Required checks decide PASS/FAIL; the others are shown for information. */
  required: boolean;
}

/** Workload 1 serves a page; ping 1 -> 2, curl host -> gateway:hostPort(1), hairpin 2 -> gateway:hostPort(1). */
export async function verifyAfterAdd(s: Subject, tmp: string): Promise<Check[]> {
  const checks: Check[] = [];
  const attempt = async (name: string, required: boolean, fn: () => Promise<[boolean, string]>) => {
    try {
      const [ok, detail] = await fn();
      checks.push({ name, ok, detail, required });
    } catch (err) {
      checks.push({ name, ok: false, detail: (err as Error).message.slice(0, 300), required });
    }
  };
  const e1 = await s.endpoint(1).catch((e: Error) => e);
  const e2 = await s.endpoint(2).catch((e: Error) => e);
  if (e1 instanceof Error || e2 instanceof Error) {
    const err = e1 instanceof Error ? e1 : (e2 as Error);
    return [{ name: "find workloads", ok: false, detail: err.message, required: true }];
  }
  const a1 = await inspectAddr(e1.exec).catch((e: Error) => e);
  const a2 = await inspectAddr(e2.exec).catch((e: Error) => e);
  if (a1 instanceof Error || a2 instanceof Error) {
    const err = a1 instanceof Error ? a1 : (a2 as Error);
    return [{ name: "addresses", ok: false, detail: err.message, required: true }];
  }

  const docroot = `${tmp}/www-${s.id}`;
  const page = `hello-from-${s.id}-1`;
  fs.mkdirSync(docroot, { recursive: true });
  fs.writeFileSync(`${docroot}/index.html`, `${page}\n`);
  const httpd = startBackground([...e1.exec, "busybox", "httpd", "-f", "-p", "80", "-h", docroot]);
  try {
    await attempt(`ping ${a1.ip} -> ${a2.ip}`, true, async () => {
      const r = await run([...e1.exec, "busybox", "ping", "-c", "2", "-W", "1", a2.ip], { timeoutMs: 5000 });
      return [r.code === 0, r.code === 0 ? "2/2" : (r.stdout + r.stderr).trim().split("\n").pop() ?? ""];
    });
    const url = `http://${a1.gateway}:${hostPort(1)}/`;
    await attempt(`host curl ${url}`, true, () => curlUntil(inNs(s.hostNs, []), url, page));
    await attempt(`hairpin ${a2.ip} -> ${url}`, false, () => curlUntil(e2.exec, url, page));
  } finally {
    await killAndWait(httpd.pid, httpd.exited);
  }
  return checks;
}

/** After every DEL: no veth may remain in the host namespace. Deleting a netns destroys its
 *  veth asynchronously in the kernel, so allow a short grace and report how long it took. */
export async function verifyAfterDel(s: Subject, graceMs = 3000): Promise<Check> {
  const name = "0 veths in host after DEL";
  try {
    const t0 = nowMs();
    let n = await vethCount(s.hostNs);
    while (n > 0 && nowMs() - t0 < graceMs) {
      await sleep(50);
      n = await vethCount(s.hostNs);
    }
    const waited = nowMs() - t0;
    return { name, ok: n === 0, detail: n === 0 ? (waited > 1 ? `0 left after waiting ${waited.toFixed(0)} ms` : "0 left") : `${n} left after ${graceMs} ms`, required: true };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, required: true };
  }
}

/** httpd needs a moment to bind, so retry briefly before calling it a failure. */
async function curlUntil(exec: string[], url: string, want: string): Promise<[boolean, string]> {
  let last = "";
  for (let i = 0; i < 6; i++) {
    const r = await run([...exec, "curl", "-s", "-m", "2", url], { timeoutMs: 4000 });
    last = r.code === 0 ? r.stdout.trim() : `curl exit ${r.code}`;
    if (last === want) return [true, `'${last}'`];
    await sleep(100);
  }
  return [false, `got '${last}'`];
}
