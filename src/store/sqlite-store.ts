// SQLite store (better-sqlite3): one file under the state directory, objects kept as JSON rows.
import Database from "better-sqlite3";
import type { Attachment, DesiredState, Namespace, Network, PolicyRecord, UserRule, Workload } from "../model/types";
import { serviceKey, serviceNamespace, type Service } from "../model/services/service";
import type { Template } from "../model/workloads/template";
import type { LbPool } from "../model/lb/lb-pool";
import type { BgpPolicy } from "../model/lb/bgp-policy";
import type { L2Policy } from "../model/lb/l2-policy";
import { policyKey } from "../policy";
import { ServiceIndex, type ServiceLookups } from "./service-index";
import type { Store } from "./store";
import { byText } from "../model/by-text";
import { DocCache } from "./doc-cache";
import { attachmentKey, workloadKey } from "../model/list-delta";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workloads (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attachments (
  workload_id TEXT NOT NULL, network_id TEXT NOT NULL, ip4 TEXT, ip6 TEXT, doc TEXT NOT NULL,
  PRIMARY KEY (workload_id, network_id),
  UNIQUE (network_id, ip4), UNIQUE (network_id, ip6)
);
CREATE INDEX IF NOT EXISTS attachments_by_network ON attachments (network_id);
-- released: NULL while the name holds the address, else the order in which names let theirs go.
CREATE TABLE IF NOT EXISTS sticky (network_id TEXT NOT NULL, name TEXT NOT NULL, family INTEGER NOT NULL, ip TEXT NOT NULL, released INTEGER,
  PRIMARY KEY (network_id, name, family));
CREATE INDEX IF NOT EXISTS sticky_by_ip ON sticky (network_id, ip);
-- services.name is the key: "web" in the default namespace (as before namespaces), "x/web" in x.
CREATE TABLE IF NOT EXISTS services (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS policies (key TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS templates (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lb_pools (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bgp_policies (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS l2_policies (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user_rules (id INTEGER PRIMARY KEY AUTOINCREMENT, position REAL NOT NULL, rule TEXT NOT NULL, owner TEXT);
CREATE TABLE IF NOT EXISTS host_flags (name TEXT PRIMARY KEY);
`;

type Row = { doc: string };

/**
 * Sticky addresses remembered per network for names that no longer hold one (a removed workload,
 * a CNI container id that never comes back): the most recently released are kept, older ones
 * dropped as a name lets its address go, so the table stays bounded under churn.
 */
export const STICKY_KEEP = 1024;

/** A database made before `sticky.released` existed: add it, and mark names not in use as released first. */
function migrateSticky(db: Database.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('sticky')").all() as { name: string }[];
  if (!columns.some((c) => c.name === "released")) {
    db.exec(`ALTER TABLE sticky ADD COLUMN released INTEGER;
      UPDATE sticky SET released = 0 WHERE name NOT IN
        (SELECT w.name FROM attachments a JOIN workloads w ON w.id = a.workload_id WHERE a.network_id = sticky.network_id);`);
  }
  db.exec("CREATE INDEX IF NOT EXISTS sticky_released ON sticky (network_id, released)");
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly stmts;
  /** Workloads and attachments, parsed once (see doc-cache.ts). */
  private readonly workloadDocs: DocCache<Workload>;
  private readonly attachmentDocs: DocCache<Attachment>;
  /** Policies too: the policy compile keeps its work per policy object (src/policy/plan/cache.ts). */
  private readonly policyDocs: DocCache<PolicyRecord>;

  constructor(file: string, opts: { synchronous?: "FULL" | "NORMAL" } = {}) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${opts.synchronous ?? "FULL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    migrateSticky(this.db);
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      networks: p("SELECT doc FROM networks ORDER BY name"),
      network: p("SELECT doc FROM networks WHERE name = ?"),
      networkById: p("SELECT doc FROM networks WHERE id = ?"),
      putNetwork: p("INSERT INTO networks (id, name, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc"),
      deleteNetwork: p("DELETE FROM networks WHERE id = ?"),
      deleteNetworkSticky: p("DELETE FROM sticky WHERE network_id = ?"),
      workloads: p("SELECT doc FROM workloads ORDER BY name"),
      workload: p("SELECT doc FROM workloads WHERE name = ?"),
      putWorkload: p("INSERT INTO workloads (id, name, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc"),
      deleteWorkload: p("DELETE FROM workloads WHERE id = ?"),
      deleteWorkloadAttachments: p("DELETE FROM attachments WHERE workload_id = ?"),
      attachments: p("SELECT doc FROM attachments ORDER BY workload_id, network_id"),
      attachmentsOf: p("SELECT doc FROM attachments WHERE workload_id = ?"),
      attachmentsOn: p("SELECT doc FROM attachments WHERE network_id = ?"),
      putAttachment: p(
        "INSERT INTO attachments (workload_id, network_id, ip4, ip6, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT(workload_id, network_id) DO UPDATE SET ip4 = excluded.ip4, ip6 = excluded.ip6, doc = excluded.doc",
      ),
      deleteAttachment: p("DELETE FROM attachments WHERE workload_id = ? AND network_id = ?"),
      sticky: p("SELECT ip FROM sticky WHERE network_id = ? AND name = ? AND family = ?"),
      stickyAll: p("SELECT name, ip FROM sticky WHERE network_id = ?"),
      stickyNames: p("SELECT name FROM sticky WHERE network_id = ? AND ip = ?"),
      setSticky: p("INSERT INTO sticky (network_id, name, family, ip) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET ip = excluded.ip, released = NULL"),
      releaseSticky: p(
        `UPDATE sticky SET released = (SELECT COALESCE(MAX(released), 0) + 1 FROM sticky WHERE network_id = @net)
         WHERE network_id = @net AND name = (SELECT name FROM workloads WHERE id = @workload)`,
      ),
      // Both walk the (network_id, released) index over released rows only: cheap beside 10,000 names in use.
      pruneSticky: p(
        `DELETE FROM sticky WHERE rowid IN (SELECT rowid FROM sticky WHERE network_id = @net AND released IS NOT NULL
         ORDER BY released DESC LIMIT -1 OFFSET @keep)`,
      ),
      userRules: p("SELECT id, rule, owner FROM user_rules ORDER BY position, id"),
      maxPosition: p("SELECT COALESCE(MAX(position), 0) AS m FROM user_rules"),
      nthPosition: p("SELECT position FROM user_rules ORDER BY position, id LIMIT 1 OFFSET ?"),
      addUserRule: p("INSERT INTO user_rules (position, rule, owner) VALUES (?, ?, ?)"),
      deleteUserRule: p("DELETE FROM user_rules WHERE id = ?"),
      services: p("SELECT doc FROM services ORDER BY name"),
      serviceId: p("SELECT id FROM services WHERE name = ?"),
      putService: p("INSERT INTO services (id, name, doc) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc"),
      deleteService: p("DELETE FROM services WHERE id = ?"),
      namespaces: p("SELECT doc FROM namespaces ORDER BY name"),
      namespace: p("SELECT doc FROM namespaces WHERE name = ?"),
      putNamespace: p("INSERT INTO namespaces (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc"),
      deleteNamespace: p("DELETE FROM namespaces WHERE name = ?"),
      policies: p("SELECT doc FROM policies ORDER BY key"),
      putPolicy: p("INSERT INTO policies (key, doc) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET doc = excluded.doc"),
      deletePolicy: p("DELETE FROM policies WHERE key = ?"),
      templates: p("SELECT doc FROM templates ORDER BY name"),
      template: p("SELECT doc FROM templates WHERE name = ?"),
      putTemplate: p("INSERT INTO templates (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc"),
      deleteTemplate: p("DELETE FROM templates WHERE name = ?"),
      lbPools: p("SELECT doc FROM lb_pools ORDER BY name"),
      putLbPool: p("INSERT INTO lb_pools (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc"),
      deleteLbPool: p("DELETE FROM lb_pools WHERE name = ?"),
      bgpPolicies: p("SELECT doc FROM bgp_policies ORDER BY name"),
      putBgpPolicy: p("INSERT INTO bgp_policies (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc"),
      deleteBgpPolicy: p("DELETE FROM bgp_policies WHERE name = ?"),
      l2Policies: p("SELECT doc FROM l2_policies ORDER BY name"),
      putL2Policy: p("INSERT INTO l2_policies (name, doc) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET doc = excluded.doc"),
      deleteL2Policy: p("DELETE FROM l2_policies WHERE name = ?"),
      hostFlag: p("SELECT name FROM host_flags WHERE name = ?"),
      setHostFlag: p("INSERT INTO host_flags (name) VALUES (?) ON CONFLICT DO NOTHING"),
      clearHostFlag: p("DELETE FROM host_flags WHERE name = ?"),
    };
    const docs = (stmt: Database.Statement) => () => (stmt.all() as Row[]).map((r) => r.doc);
    this.workloadDocs = new DocCache<Workload>(docs(this.stmts.workloads), workloadKey, (a, b) => byText(a.name, b.name));
    this.attachmentDocs = new DocCache<Attachment>(
      docs(this.stmts.attachments),
      attachmentKey,
      (a, b) => byText(a.workloadId, b.workloadId) || byText(a.networkId, b.networkId),
    );
    this.policyDocs = new DocCache<PolicyRecord>(docs(this.stmts.policies), (p) => policyKey(p.policy), (a, b) => byText(policyKey(a.policy), policyKey(b.policy)));
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      this.serviceIndex = undefined;
      this.workloadDocs.drop();
      this.attachmentDocs.drop();
      this.policyDocs.drop();
      throw e;
    }
  }

  state(): DesiredState {
    return this.db.transaction(() => ({
      networks: this.networks(),
      workloads: this.workloads(),
      attachments: this.attachments(),
      userRules: this.userRules(),
      services: this.services(),
      namespaces: this.namespaces(),
      policies: this.policies(),
    }))();
  }

  hostFlag(name: string): boolean {
    return this.stmts.hostFlag.get(name) !== undefined;
  }
  setHostFlag(name: string, on: boolean): void {
    (on ? this.stmts.setHostFlag : this.stmts.clearHostFlag).run(name);
  }

  networks(): Network[] {
    return (this.stmts.networks.all() as Row[]).map((r) => JSON.parse(r.doc) as Network);
  }
  network(name: string): Network | undefined {
    return parse<Network>(this.stmts.network.get(name));
  }
  networkById(id: string): Network | undefined {
    return parse<Network>(this.stmts.networkById.get(id));
  }
  putNetwork(n: Network): void {
    this.stmts.putNetwork.run(n.id, n.name, JSON.stringify(n));
  }
  deleteNetwork(id: string): void {
    this.stmts.deleteNetwork.run(id);
    this.stmts.deleteNetworkSticky.run(id);
  }

  /** Shared and frozen: the same list until a workload is written. */
  workloads(): readonly Workload[] {
    return this.workloadDocs.list();
  }
  workload(name: string): Workload | undefined {
    return parse<Workload>(this.stmts.workload.get(name));
  }
  putWorkload(w: Workload): void {
    const doc = JSON.stringify(w);
    this.stmts.putWorkload.run(w.id, w.name, doc);
    this.workloadDocs.put(doc);
  }
  deleteWorkload(id: string): void {
    const attachments = this.attachmentsOf(id);
    for (const a of attachments) this.releaseSticky(id, a.networkId);
    this.stmts.deleteWorkloadAttachments.run(id);
    this.stmts.deleteWorkload.run(id);
    this.attachmentDocs.delete(attachments.map(attachmentKey));
    this.workloadDocs.delete([id]);
  }

  /** Shared and frozen: the same list until an attachment is written. */
  attachments(): readonly Attachment[] {
    return this.attachmentDocs.list();
  }
  attachmentsOf(workloadId: string): Attachment[] {
    return (this.stmts.attachmentsOf.all(workloadId) as Row[]).map((r) => JSON.parse(r.doc) as Attachment).sort((a, b) => a.index - b.index);
  }
  attachmentsOn(networkId: string): Attachment[] {
    return (this.stmts.attachmentsOn.all(networkId) as Row[]).map((r) => JSON.parse(r.doc) as Attachment);
  }
  putAttachment(a: Attachment): void {
    const doc = JSON.stringify(a);
    this.stmts.putAttachment.run(a.workloadId, a.networkId, a.ip4 ?? null, a.ip6 ?? null, doc);
    this.attachmentDocs.put(doc);
  }
  deleteAttachment(workloadId: string, networkId: string): void {
    this.releaseSticky(workloadId, networkId);
    this.stmts.deleteAttachment.run(workloadId, networkId);
    this.attachmentDocs.delete([attachmentKey({ workloadId, networkId })]);
  }

  /** The workload's name lets its addresses on the network go; the oldest released beyond STICKY_KEEP are forgotten. */
  private releaseSticky(workloadId: string, networkId: string): void {
    this.stmts.releaseSticky.run({ net: networkId, workload: workloadId });
    this.stmts.pruneSticky.run({ net: networkId, keep: STICKY_KEEP });
  }

  sticky(networkId: string, name: string, family: 4 | 6): string | undefined {
    return (this.stmts.sticky.get(networkId, name, family) as { ip: string } | undefined)?.ip;
  }
  stickyAddresses(networkId: string): Map<string, string> {
    return new Map((this.stmts.stickyAll.all(networkId) as { name: string; ip: string }[]).map((r) => [r.ip, r.name]));
  }
  stickyNames(networkId: string, ip: string): string[] {
    return (this.stmts.stickyNames.all(networkId, ip) as { name: string }[]).map((r) => r.name);
  }
  setSticky(networkId: string, name: string, family: 4 | 6, ip: string): void {
    this.stmts.setSticky.run(networkId, name, family, ip);
  }

  userRules(): UserRule[] {
    return (this.stmts.userRules.all() as { id: number; rule: string; owner: string | null }[]).map((r) => ({
      id: r.id,
      rule: r.rule,
      ...(r.owner ? { owner: r.owner } : {}),
    }));
  }
  /** position: 0-based index to insert before; default appends. */
  addUserRule(rule: string, position?: number, owner?: string): UserRule {
    let pos = (this.stmts.maxPosition.get() as { m: number }).m + 1;
    if (position !== undefined) {
      const at = this.stmts.nthPosition.get(position) as { position: number } | undefined;
      const before = position > 0 ? (this.stmts.nthPosition.get(position - 1) as { position: number } | undefined) : undefined;
      if (at) pos = before ? (before.position + at.position) / 2 : at.position - 1;
    }
    const info = this.stmts.addUserRule.run(pos, rule, owner ?? null);
    return { id: Number(info.lastInsertRowid), rule, ...(owner ? { owner } : {}) };
  }
  deleteUserRule(id: number): boolean {
    return this.stmts.deleteUserRule.run(id).changes > 0;
  }

  /**
   * Services are read on every sync and there may be tens of thousands: the daemon is the only
   * writer, so parsed records are kept (frozen, shared) in an index updated on write. Rolled-back
   * writes drop it. Unchanged records keep their identity, which lets the compile skip them.
   */
  private serviceIndex: ServiceIndex | undefined;

  private indexed(): ServiceIndex {
    return (this.serviceIndex ??= new ServiceIndex((this.stmts.services.all() as Row[]).map((r) => Object.freeze(JSON.parse(r.doc) as Service))));
  }

  /** Shared: the same list until a service is written (callers never modify it). */
  services(): readonly Service[] {
    return this.indexed().list();
  }
  service(name: string, namespace?: string): Service | undefined {
    const id = (this.stmts.serviceId.get(serviceKey(name, namespace)) as { id: string } | undefined)?.id;
    return id === undefined ? undefined : this.indexed().get(id);
  }
  serviceLookups(): ServiceLookups {
    return this.indexed();
  }
  putService(s: Service): void {
    this.stmts.putService.run(s.id, serviceKey(s.name, serviceNamespace(s)), JSON.stringify(s));
    this.indexed().put(Object.freeze({ ...s }));
  }
  deleteService(id: string): void {
    this.stmts.deleteService.run(id);
    this.indexed().delete(id);
  }

  namespaces(): Namespace[] {
    return (this.stmts.namespaces.all() as Row[]).map((r) => JSON.parse(r.doc) as Namespace);
  }
  namespace(name: string): Namespace | undefined {
    return parse<Namespace>(this.stmts.namespace.get(name));
  }
  putNamespace(n: Namespace): void {
    this.stmts.putNamespace.run(n.name, JSON.stringify(n));
  }
  deleteNamespace(name: string): void {
    this.stmts.deleteNamespace.run(name);
  }

  /** Keyed "namespace/name". */
  policies(): readonly PolicyRecord[] {
    return this.policyDocs.list();
  }
  putPolicy(p: PolicyRecord): void {
    const doc = JSON.stringify(p);
    this.stmts.putPolicy.run(policyKey(p.policy), doc);
    this.policyDocs.put(doc);
  }
  deletePolicy(key: string): boolean {
    const deleted = this.stmts.deletePolicy.run(key).changes > 0;
    this.policyDocs.delete([key]);
    return deleted;
  }

  templates(): Template[] {
    return (this.stmts.templates.all() as Row[]).map((r) => JSON.parse(r.doc) as Template);
  }
  template(name: string): Template | undefined {
    return parse<Template>(this.stmts.template.get(name));
  }
  putTemplate(t: Template): void {
    this.stmts.putTemplate.run(t.name, JSON.stringify(t));
  }
  deleteTemplate(name: string): void {
    this.stmts.deleteTemplate.run(name);
  }

  lbPools(): LbPool[] {
    return (this.stmts.lbPools.all() as Row[]).map((r) => JSON.parse(r.doc) as LbPool);
  }
  putLbPool(p: LbPool): void {
    this.stmts.putLbPool.run(p.name, JSON.stringify(p));
  }
  deleteLbPool(name: string): boolean {
    return this.stmts.deleteLbPool.run(name).changes > 0;
  }

  bgpPolicies(): BgpPolicy[] {
    return (this.stmts.bgpPolicies.all() as Row[]).map((r) => JSON.parse(r.doc) as BgpPolicy);
  }
  putBgpPolicy(p: BgpPolicy): void {
    this.stmts.putBgpPolicy.run(p.name, JSON.stringify(p));
  }
  deleteBgpPolicy(name: string): boolean {
    return this.stmts.deleteBgpPolicy.run(name).changes > 0;
  }

  l2Policies(): L2Policy[] {
    return (this.stmts.l2Policies.all() as Row[]).map((r) => JSON.parse(r.doc) as L2Policy);
  }
  putL2Policy(p: L2Policy): void {
    this.stmts.putL2Policy.run(p.name, JSON.stringify(p));
  }
  deleteL2Policy(name: string): boolean {
    return this.stmts.deleteL2Policy.run(name).changes > 0;
  }

  close(): void {
    this.db.close();
  }
}

function parse<T>(row: unknown): T | undefined {
  return row === undefined ? undefined : (JSON.parse((row as Row).doc) as T);
}
