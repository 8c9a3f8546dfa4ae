// Template records in etcd (/ponton/templates/NS/NAME, not under a lease: a template outlives its
// owner's restart). Only the owner writes a record, and only after etcd took it does the owner
// change its own store and replicas: a create is a transaction on the key's absence (of two nodes
// creating one template one gets NAME_IN_USE), a change one on the revision the owner read.
import type { Etcd3 } from "etcd3";
import { EngineError } from "../../errors";
import type { Template } from "../../model/workloads/template";
import type { Undo } from "../../engine/cluster/cluster-gate";
import { etcdCall } from "../etcd";
import { TEMPLATES, templateKey } from "../keys";
import type { TemplateRecord } from "./template-owners";

const keyOf = (t: Template) => templateKey(t.spec.namespace ?? "default", t.name);

export class ClusterTemplates {
  constructor(
    private readonly etcd: Etcd3,
    private readonly self: string,
  ) {}

  list(): Promise<TemplateRecord[]> {
    return etcdCall("list templates", async () => Object.values(await this.etcd.getAll().prefix(TEMPLATES).strings()).map((v) => JSON.parse(v) as TemplateRecord));
  }

  /**
   * This node's template `next` (undefined: `prev` removed) into etcd; returns the undo (puts back
   * what etcd held). Refused when another node owns the record, or etcd moved under the change.
   */
  write(next: Template | undefined, prev: Template | undefined): Promise<Undo> {
    const t = (next ?? prev)!;
    const what = !next ? `remove template ${t.name}` : prev ? `scale template ${t.name}` : `create template ${t.name}`;
    const key = keyOf(t);
    return etcdCall(what, async () => {
      const kv = (await this.etcd.get(key).exec()).kvs[0];
      const held = kv ? (JSON.parse(kv.value.toString()) as TemplateRecord) : undefined;
      if (held && held.owner !== this.self) throw new EngineError("NAME_IN_USE", `${what}: node ${held.owner} owns it in the cluster`, { hint: `change it from any node: it is sent to ${held.owner}` });
      if (!prev) {
        // Names are unique across namespaces (as workload names are): one record of the name anywhere.
        const other = (await this.list()).find((r) => r.name === t.name);
        if (other) throw new EngineError("NAME_IN_USE", `${what}: template ${t.name} already exists in the cluster (node ${other.owner}, namespace ${other.spec.namespace ?? "default"})`);
      }
      const record = next ? JSON.stringify({ ...next, owner: this.self } satisfies TemplateRecord) : undefined;
      const txn = kv ? this.etcd.if(key, "Mod", "==", kv.mod_revision) : this.etcd.if(key, "Create", "==", 0);
      const r = await txn.then(record ? this.etcd.put(key).value(record) : this.etcd.delete().key(key)).commit();
      if (!r.succeeded) throw new EngineError("NAME_IN_USE", `${what}: another node wrote it meanwhile; nothing was applied`, { hint: "run the command again" });
      return async () => {
        const back = kv ? this.etcd.put(key).value(kv.value.toString()) : this.etcd.delete().key(key);
        await back.exec().then(() => undefined);
      };
    });
  }
}
