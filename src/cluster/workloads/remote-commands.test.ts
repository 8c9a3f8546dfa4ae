import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError } from "../../errors";
import type { NodeView } from "../node-view";
import { findOwner, localPath, type OwnerQuery } from "./remote-commands";
import type { WorkloadRecord } from "./workload-records";

const node = (name: string, status: NodeView["status"] = "Ready"): NodeView => ({ name, address: `192.0.2.${name.slice(1)}`, heartbeat: "", workloads: 0, status, blocks: [] });
const rec = (n: string, name: string, namespace = "default"): WorkloadRecord => ({ node: n, id: `${n}-${name}`, name, namespace, labels: {}, addresses: [] });
const query = (over: Partial<OwnerQuery>): OwnerQuery => ({ self: "n1", name: "api", nodes: [node("n1"), node("n2"), node("n3")], records: [], listOf: async () => [], ...over });
const code = (e: unknown) => (e as EngineError).code;

test("the owner from the published records; a record of a NotReady node is NODE_NOT_READY", async () => {
  let asked = 0;
  const listOf = async () => (asked++, []);
  assert.equal((await findOwner(query({ records: [rec("n1", "api"), rec("n3", "api")], listOf })))?.name, "n3", "this node's own record is not an owner");
  assert.equal(asked, 0, "no node asked when a record says");
  await assert.rejects(findOwner(query({ nodes: [node("n1"), node("n2", "NotReady")], records: [rec("n2", "api")] })), (e) => code(e) === "NODE_NOT_READY");
});

test("no record (stopped, or on node networks only): every other Ready node is asked; the namespace must match", async () => {
  const lists: Record<string, { name: string; namespace?: string }[]> = { n2: [{ name: "db", namespace: "default" }], n3: [{ name: "api", namespace: "shop" }] };
  const listOf = async (n: NodeView) => lists[n.name]!;
  assert.equal((await findOwner(query({ listOf })))?.name, "n3");
  assert.equal((await findOwner(query({ listOf, namespace: "shop" })))?.name, "n3");
  assert.equal(await findOwner(query({ listOf, namespace: "default" })), undefined, "in another namespace: nowhere");
  assert.equal(await findOwner(query({ listOf, name: "nosuch" })), undefined);
});

test("not found while a node cannot be asked (NotReady, or no answer): NODE_NOT_READY naming it, never not found", async () => {
  const listOf = async (n: NodeView) => {
    if (n.name === "n3") throw new Error("ECONNREFUSED");
    return [];
  };
  await assert.rejects(findOwner(query({ listOf })), (e) => code(e) === "NODE_NOT_READY" && /node n3 did not answer/.test((e as Error).message));
  await assert.rejects(findOwner(query({ nodes: [node("n1"), node("n2", "NotReady")] })), (e) => code(e) === "NODE_NOT_READY" && /n2/.test((e as Error).message));
});

test("the peer listener serves one workload's API routes by name under /v1/local (the API path prefixed), nothing else", () => {
  const at = (p: string) => localPath(new URL(p, "http://peer"));
  assert.equal(at("/v1/local/v1/workloads/api?namespace=x"), "/v1/workloads/api?namespace=x");
  for (const sub of ["stop", "start", "logs", "labels", "exec"]) assert.equal(at(`/v1/local/v1/workloads/api/${sub}`), `/v1/workloads/api/${sub}`);
  for (const p of ["/v1/local/v1/workloads", "/v1/local/v1/networks/pods", "/v1/local/v1/workloads/api/connect", "/v1/workloads/api", "/v1/local/v1/cli", "/v1/local/workloads/api"]) assert.equal(at(p), undefined, p);
});
