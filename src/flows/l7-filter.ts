// Pure: the L7 filters of `ponton observe` (hubble's --type l7, --http-method, --http-path, --http-status).
import { EngineError } from "../errors";
import type { FlowQuery } from "./filter";
import type { FlowRecord } from "./record";

/** "403" exactly, or a class: "4+" / "4xx" (every 4xx). */
function statusTest(text: string): (s: number) => boolean {
  const exact = /^[1-5]\d\d$/.exec(text);
  if (exact) return (s) => s === Number(text);
  const cls = /^([1-5])(?:\+|xx)$/i.exec(text);
  if (cls) return (s) => Math.floor(s / 100) === Number(cls[1]);
  throw new EngineError("INVALID_ARGUMENT", `--http-status '${text}' is neither a status (403) nor a class (4+, 4xx)`);
}

export function l7Tests(q: FlowQuery): ((r: FlowRecord) => boolean)[] {
  const tests: ((r: FlowRecord) => boolean)[] = [];
  if (q.type) {
    const t = q.type.toLowerCase();
    if (t !== "l7" && t !== "l3_l4") throw new EngineError("INVALID_ARGUMENT", `unknown flow type '${q.type}'`, { hint: "l7 or l3_l4" });
    tests.push(t === "l7" ? (r) => r.l7 !== undefined : (r) => r.l7 === undefined);
  }
  if (q.httpMethod) {
    const m = q.httpMethod.toUpperCase();
    tests.push((r) => r.l7?.method.toUpperCase() === m);
  }
  if (q.httpPath) {
    let re: RegExp;
    try {
      re = new RegExp(q.httpPath);
    } catch (e) {
      throw new EngineError("INVALID_ARGUMENT", `--http-path '${q.httpPath}' is not a regular expression (${(e as Error).message})`);
    }
    tests.push((r) => r.l7 !== undefined && re.test(r.l7.url.split("?")[0]!));
  }
  if (q.httpStatus) {
    const ok = statusTest(q.httpStatus);
    tests.push((r) => r.l7 !== undefined && ok(r.l7.status));
  }
  return tests;
}
