// What the host already routes: new networks must not shadow it.
import type { Executor } from "../../kernel";
import type { TakenPrefix } from "../../ipam";

interface RouteRow {
  dst: string;
  dev?: string;
}

export async function hostRoutes(exec: Executor, family: 4 | 6, ourBridges: Set<string>): Promise<TakenPrefix[]> {
  const { stdout } = await exec.run("ip", [family === 4 ? "-4" : "-6", "-json", "route", "show"]);
  const rows = JSON.parse(stdout || "[]") as RouteRow[];
  return rows
    .filter((r) => r.dst !== "default" && !(r.dev && ourBridges.has(r.dev)) && !(family === 6 && r.dst.startsWith("fe80:")))
    .map((r) => ({ cidr: r.dst.includes("/") ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`, by: `route ${r.dst}${r.dev ? ` dev ${r.dev}` : ""}` }));
}
