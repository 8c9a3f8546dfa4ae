import { test } from "node:test";
import assert from "node:assert/strict";
import { refuseEgressHttpWithoutTproxy } from "./tproxy-support";
import type { EngineContext } from "../context";
import type { NftPlan } from "../../compile";

const ctx = (tproxy?: boolean) => ({ nft: { options: tproxy === undefined ? {} : { tproxy } } }) as unknown as EngineContext;
const plan = (directions: string[]) => ({ policy: { l7: directions.map((direction) => ({ direction })) } }) as unknown as NftPlan;

test("egress HTTP rules on a kernel without TPROXY: refused before anything is stored, naming the kernel feature", () => {
  assert.throws(() => refuseEgressHttpWithoutTproxy(ctx(false), plan(["ingress", "egress"]), "policy apply default/p"), (e: Error & { code?: string }) => {
    assert.equal(e.code, "UNSUPPORTED");
    assert.match(e.message, /^policy apply default\/p: .*CONFIG_NFT_TPROXY/);
    return true;
  });
});

test("ingress HTTP rules need no TPROXY; a kernel with it takes egress rules", () => {
  refuseEgressHttpWithoutTproxy(ctx(false), plan(["ingress"]), "x");
  refuseEgressHttpWithoutTproxy(ctx(true), plan(["egress"]), "x");
  refuseEgressHttpWithoutTproxy(ctx(), plan(["egress"]), "x");
});
