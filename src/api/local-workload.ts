import type { Engine } from "../engine";
import { EngineError } from "../errors";

/** Whether this node runs a workload of that name (names are unique on a node across namespaces). */
export function isLocal(engine: Engine, name: string): boolean {
  try {
    engine.inspect(name);
    return true;
  } catch (e) {
    if (e instanceof EngineError && e.code === "WORKLOAD_NOT_FOUND") return false;
    throw e;
  }
}
