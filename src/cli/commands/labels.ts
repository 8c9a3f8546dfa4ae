// kubectl-style label arguments: k=v sets, k- removes.
import { EngineError } from "../../errors";

export function labelEditArgs(items: string[]): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const i of items) {
    if (i.endsWith("-") && !i.includes("=")) remove.push(i.slice(0, -1));
    else if (i.indexOf("=") > 0) set[i.slice(0, i.indexOf("="))] = i.slice(i.indexOf("=") + 1);
    else throw new EngineError("INVALID_ARGUMENT", `invalid label '${i}'`, { hint: "write key=value to set, key- to remove" });
  }
  if (Object.keys(set).length + remove.length === 0) throw new EngineError("INVALID_ARGUMENT", "give at least one label: key=value or key-");
  return { set, remove };
}
