import { test } from "node:test";
import assert from "node:assert/strict";
import { BRIDGE_MAX_PORTS, checkBridgePorts } from "./limits";
import { EngineError } from "../errors";

test("a bridge takes 1,023 workloads; the 1,024th is refused with a code naming the limit and the way past it (--driver routed)", () => {
  assert.equal(BRIDGE_MAX_PORTS, 1023);
  checkBridgePorts("big", 0);
  checkBridgePorts("big", 1022);
  assert.throws(
    () => checkBridgePorts("big", 1023),
    (e: unknown) => e instanceof EngineError && e.code === "BRIDGE_PORT_LIMIT" && /network big holds 1023 workloads/.test(e.message) && /--driver routed/.test(e.hint),
  );
});
