// Templates across nodes: a change of a template on any node is sent to its owner's peer listener
// (the node address, port 4244, the cluster token — as `run --node` is), and the owner makes it:
// it stays the only node that runs the template's replicas. The caller gets the owner's answer or
// its error, code included. An owner that is NotReady refuses the whole request before any part runs.
import type { IncomingMessage, ServerResponse } from "node:http";
import { EngineError } from "../../errors";
import type { NodeView } from "../node-view";
import { answer, callPeer, placementTarget, readBody } from "../workloads/placement";
import type { ClusterTemplates } from "./cluster-templates";
import { ownerTarget, scaleByOwner, templateViewsOf, type ClusterTemplateView } from "./template-owners";

/** What a node's engine does with its own templates (for its API and for another node). */
export interface LocalTemplates {
  list(): { name: string; replicas: number }[];
  /** `run --replicas`: {replicas, ...run spec}. */
  create(body: Record<string, unknown>): Promise<unknown>;
  scale(wanted: Record<string, unknown>): Promise<{ template: string }[]>;
  remove(name: string, missingOk: boolean): Promise<unknown>;
}

const TEMPLATE_PATH = /^\/v1\/templates\/([^/]+)$/;

/** The peer listener's template routes (after its token check): the owner's side of a forwarded change. */
export function peerTemplates(local: LocalTemplates) {
  return async (req: IncomingMessage, url: URL, res: ServerResponse): Promise<boolean> => {
    const one = TEMPLATE_PATH.exec(url.pathname);
    if (url.pathname === "/v1/templates" && req.method === "GET") await answer(res, 200, async () => local.list());
    else if (url.pathname === "/v1/templates" && req.method === "POST") {
      await answer(res, 201, async () => {
        const { replicaOf: _engineOnly, node: _placed, ...body } = (await readBody(req)) as Record<string, unknown>;
        return local.create(body);
      });
    } else if (one && req.method === "DELETE") await answer(res, 200, () => local.remove(decodeURIComponent(one[1]!), url.searchParams.get("missingOk") === "1"));
    else if (url.pathname === "/v1/scale" && req.method === "POST") await answer(res, 200, async () => local.scale(((await readBody(req)) as { replicas: Record<string, unknown> }).replicas));
    else return false;
    return true;
  };
}

/** The cluster side of the template API on one node. */
export class TemplateRouter {
  constructor(
    private readonly self: string,
    private readonly records: ClusterTemplates,
    private readonly nodes: () => Promise<NodeView[]>,
    private readonly token: () => string,
    private readonly local: LocalTemplates,
  ) {}

  /** `run --replicas N --node X` for another node X: X makes the template and owns it. */
  async createOn(node: string, body: Record<string, unknown>): Promise<unknown> {
    const target = placementTarget(await this.nodes(), node);
    return this.call(target, "POST", body, "/v1/templates", `run --replicas --node ${node}`);
  }

  /** Every template of the cluster with its owner; running counts from the owners that answer. */
  async list(): Promise<ClusterTemplateView[]> {
    const [records, nodes] = await Promise.all([this.records.list(), this.nodes()]);
    const owners = [...new Set(records.map((r) => r.owner))].filter((o) => o !== this.self);
    const answers = new Map<string, { name: string; replicas: number }[]>([[this.self, this.local.list()]]);
    await Promise.all(
      owners.map(async (o) => {
        const n = nodes.find((x) => x.name === o);
        if (n?.status !== "Ready") return;
        await callPeer<{ name: string; replicas: number }[]>(n, this.token(), "GET", undefined, 5000, "/v1/templates").then(
          (vs) => void answers.set(o, vs),
          () => undefined,
        );
      }),
    );
    return templateViewsOf(records, answers, this.self, this.local.list());
  }

  /** `template rm` of a template another node owns: sent to it. Undefined: this node's (or unknown): the local route answers. */
  async remove(name: string, namespace: string | undefined, missingOk: boolean): Promise<{ forwarded: unknown } | undefined> {
    const r = (await this.records.list()).find((x) => x.name === name);
    if (!r || r.owner === this.self) return undefined;
    const ns = r.spec.namespace ?? "default";
    if (namespace !== undefined && namespace !== ns) {
      if (missingOk) return { forwarded: false };
      throw new EngineError("TEMPLATE_NOT_FOUND", `template ${name} not found in namespace ${namespace} (it is in ${ns})`);
    }
    const what = `template rm ${name}`;
    const target = ownerTarget(await this.nodes(), r.owner, what);
    return { forwarded: await this.call(target, "DELETE", undefined, `/v1/templates/${encodeURIComponent(name)}${missingOk ? "?missingOk=1" : ""}`, what) };
  }

  /**
   * `scale A=N B=M`: each owner scales its own. Every owner is checked Ready before any part runs; a
   * part that fails sets the parts already done back to their counts (as a local scale does).
   */
  async scale(wanted: Record<string, unknown>): Promise<unknown[]> {
    const records = await this.records.list();
    const parts = scaleByOwner(records, wanted, this.self);
    const nodes = await this.nodes();
    const what = `scale ${Object.keys(wanted).join(" ")}`;
    const targets = new Map([...parts.keys()].filter((o) => o !== this.self).map((o) => [o, ownerTarget(nodes, o, what)]));
    const before = new Map([...records.map((r) => [r.name, r.replicas] as const), ...this.local.list().map((v) => [v.name, v.replicas] as const)]);
    const done: [string, Record<string, unknown>][] = [];
    const results: unknown[] = [];
    try {
      for (const [owner, part] of parts) {
        results.push(...(owner === this.self ? await this.local.scale(part) : await this.call<unknown[]>(targets.get(owner)!, "POST", { replicas: part }, "/v1/scale", what)));
        done.push([owner, Object.fromEntries(Object.keys(part).map((n) => [n, before.get(n) ?? 0]))]);
      }
      return results;
    } catch (e) {
      for (const [owner, back] of done.reverse()) {
        await (owner === this.self ? this.local.scale(back) : this.call(targets.get(owner)!, "POST", { replicas: back }, "/v1/scale", what)).catch(() => undefined);
      }
      throw e;
    }
  }

  /** The owner's answer or its error (code kept); an owner that does not answer is NODE_NOT_READY. */
  private async call<T>(node: NodeView, method: string, body: unknown, path: string, what: string): Promise<T> {
    try {
      return await callPeer<T>(node, this.token(), method, body, 60_000, path);
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError("NODE_NOT_READY", `${what}: node ${node.name} at ${node.address} did not answer (${(e as Error).message})`);
    }
  }
}
