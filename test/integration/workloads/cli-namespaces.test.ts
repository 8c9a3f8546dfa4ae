// The CLI names namespaced objects one way everywhere (-n NS NAME or NS/NAME), and `ponton namespace rm`
// removes a namespace: refused while it holds objects unless --force, never "default".
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { TestHost } from "../harness";

const POLICY = (ns: string, name: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec: {podSelector: {}, policyTypes: [Ingress]}
`;

describe("CLI: namespaces and object names", () => {
  let h: TestHost;
  const names = async (path: string) => (await h.client.request<{ name: string; namespace?: string }[]>("GET", path)).map((o) => `${o.namespace ?? ""}/${o.name}`).sort();
  const policy = async (ns: string, name: string) => {
    const file = `${h.dir}/${ns}-${name}.yaml`;
    require("node:fs").writeFileSync(file, POLICY(ns, name));
    await h.pontonOk("policy", "apply", "-f", file);
  };

  before(async () => {
    h = await new TestHost("cn").setUp();
    await h.pontonOk("network", "create", "net0", "--subnet", "10.61.0.0/24");
  });
  after(() => h.tearDown());

  test("namespace rm: refused while it holds objects, --force removes them, default never", async () => {
    await h.pontonOk("namespace", "create", "shop");
    await h.pontonOk("run", "--name", "cart", "--network", "net0", "--namespace", "shop");
    await h.pontonOk("run", "--name", "pay", "--network", "net0", "--namespace", "shop", "--replicas", "2");
    await h.pontonOk("run", "--name", "other", "--network", "net0");
    await h.pontonOk("service", "create", "shop/cart", "--port", "80", "--selector", "app=cart");
    await policy("shop", "deny");

    const refused = await h.ponton("namespace", "rm", "shop");
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /NAMESPACE_NOT_EMPTY/);
    assert.match(refused.stderr, /workload cart/);
    assert.deepEqual(await names("/v1/services"), ["shop/cart"]);

    const forced = await h.ponton("namespace", "rm", "shop", "--force");
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(await names("/v1/workloads"), ["default/other"]);
    assert.deepEqual(await names("/v1/templates"), []);
    assert.deepEqual(await names("/v1/services"), []);
    assert.deepEqual(await names("/v1/policies"), []);
    assert.ok(!(await names("/v1/namespaces")).includes("/shop"));

    const again = await h.ponton("namespace", "rm", "shop");
    assert.equal(again.code, 4, again.stderr);
    const dflt = await h.ponton("namespace", "rm", "default", "--force");
    assert.equal(dflt.code, 2, dflt.stderr);
    assert.match(dflt.stderr, /default cannot be removed/);
    assert.deepEqual(await names("/v1/workloads"), ["default/other"]);

    await h.pontonOk("namespace", "create", "empty");
    assert.equal((await h.ponton("namespace", "rm", "empty")).code, 0);
    await h.pontonOk("rm", "other");
  });

  test("-n NS NAME and NS/NAME both work for workloads, services, policies and templates", async () => {
    await h.pontonOk("namespace", "create", "dev");
    for (const [i, style] of [["1", "slash"], ["2", "flag"]] as const) {
      const ref = (name: string) => (style === "slash" ? [`dev/${name}`] : ["-n", "dev", name]);
      await h.pontonOk("run", "--name", `w${i}`, "--network", "net0", "--namespace", "dev");
      await h.pontonOk("run", "--name", `t${i}`, "--network", "net0", "--namespace", "dev", "--replicas", "1");
      await h.pontonOk("service", "create", ...ref(`s${i}`), "--port", "80", "--selector", "app=x");
      await policy("dev", `p${i}`);

      // A name in another namespace is not found, and nothing is removed.
      assert.equal((await h.ponton("rm", "default/w" + i)).code, 4);
      assert.equal((await h.ponton("policy", "rm", "-n", "default", `p${i}`)).code, 4);
      assert.equal((await h.ponton("template", "rm", "default/t" + i)).code, 4);
      assert.equal((await h.ponton("service", "rm", "-n", "default", `s${i}`)).code, 4);
      assert.equal((await h.ponton("rm", "-n", "prod", `dev/w${i}`)).code, 2, "-n contradicting NS/ is refused");

      assert.equal(JSON.parse(await h.pontonOk("inspect", ...ref(`w${i}`)))[0].name, `w${i}`);
      assert.equal(JSON.parse(await h.pontonOk("service", "inspect", ...ref(`s${i}`)))[0].namespace, "dev");
      await h.pontonOk("label", ...ref(`w${i}`), "tier=web");
      await h.pontonOk("stop", ...ref(`w${i}`), "-t", "0");
      await h.pontonOk("start", ...ref(`w${i}`));
      await h.pontonOk("rm", ...ref(`w${i}`), "-t", "0");
      await h.pontonOk("template", "rm", ...ref(`t${i}`));
      await h.pontonOk("service", "rm", ...ref(`s${i}`));
      await h.pontonOk("policy", "rm", ...ref(`p${i}`));
    }
    assert.deepEqual(await names("/v1/workloads"), []);
    assert.deepEqual(await names("/v1/templates"), []);
    assert.deepEqual(await names("/v1/services"), []);
    assert.deepEqual(await names("/v1/policies"), []);
  });
});
