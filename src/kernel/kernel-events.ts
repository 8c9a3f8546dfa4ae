// The lines bin/ponton-watch prints (native/ponton-watch), parsed.
export type KernelEvent =
  | { kind: "nft"; gen: number; pid: number }
  | { kind: "link"; op: "new" | "del"; name: string; master: number; up: boolean }
  | { kind: "addr"; op: "new" | "del"; name: string; addr: string }
  | { kind: "netns"; op: "del"; name: string }
  /** Inside a watched workload namespace `ns`. */
  | { kind: "inlink"; ns: string; op: "new" | "del"; name: string; up: boolean }
  | { kind: "inaddr"; ns: string; op: "new" | "del"; addr: string }
  /** A deleted route: `dev` is its link, "-" for an unreachable route; `dst` is ADDR/LEN. */
  | { kind: "route"; op: "del"; dev: string; dst: string }
  | { kind: "lost"; what: "nft" | "route" }
  | { kind: "lost"; what: "in"; ns: string }
  | { kind: "ready" };

/** One line, or undefined for a line this version does not know (ignored, never fatal). */
export function parseKernelEvent(line: string): KernelEvent | undefined {
  const f = line.trim().split(" ");
  const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
  const op = f[1] === "new" || f[1] === "del" ? f[1] : undefined;
  switch (f[0]) {
    case "ready":
      return { kind: "ready" };
    case "nft": {
      const gen = int(f[1]);
      const pid = int(f[2]);
      return gen !== undefined && pid !== undefined ? { kind: "nft", gen, pid } : undefined;
    }
    case "link": {
      const master = int(f[3]);
      return op && f[2] && master !== undefined && (f[4] === "0" || f[4] === "1") ? { kind: "link", op, name: f[2], master, up: f[4] === "1" } : undefined;
    }
    case "addr":
      return op && f[2] && f[3]?.includes("/") ? { kind: "addr", op, name: f[2], addr: f[3] } : undefined;
    case "route":
      return f[1] === "del" && f[2] && f[3]?.includes("/") ? { kind: "route", op: "del", dev: f[2], dst: f[3] } : undefined;
    case "netns":
      return f[1] === "del" && f[2] ? { kind: "netns", op: "del", name: f[2] } : undefined;
    case "inlink": {
      const o = f[2] === "new" || f[2] === "del" ? f[2] : undefined;
      return f[1] && o && f[3] && (f[4] === "0" || f[4] === "1") ? { kind: "inlink", ns: f[1], op: o, name: f[3], up: f[4] === "1" } : undefined;
    }
    case "inaddr": {
      const o = f[2] === "new" || f[2] === "del" ? f[2] : undefined;
      return f[1] && o && f[3]?.includes("/") ? { kind: "inaddr", ns: f[1], op: o, addr: f[3] } : undefined;
    }
    case "lost":
      if (f[1] === "in") return f[2] ? { kind: "lost", what: "in", ns: f[2] } : undefined;
      return f[1] === "nft" || f[1] === "route" ? { kind: "lost", what: f[1] } : undefined;
    default:
      return undefined;
  }
}
