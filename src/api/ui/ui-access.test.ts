import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError } from "../../errors";
import { checkAccess, parseUiListen } from "./ui-access";

const TOKEN = "0123456789abcdef-secret";
const req = (path: string, headers: Record<string, string> = {}, method = "GET") => ({ method, url: new URL(path, "http://x"), headers });
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as EngineError).code;
  }
  return "none";
};

test("--ui-listen: loopback alone is fine; any other address needs a token", () => {
  assert.deepEqual(parseUiListen("127.0.0.1:12000", undefined), { host: "127.0.0.1", port: 12000 });
  assert.deepEqual(parseUiListen("[::1]:12000", undefined), { host: "::1", port: 12000 });
  assert.equal(code(() => parseUiListen("0.0.0.0:12000", undefined)), "UI_TOKEN_REQUIRED");
  assert.equal(code(() => parseUiListen("[::]:12000", undefined)), "UI_TOKEN_REQUIRED");
  assert.equal(code(() => parseUiListen("10.1.2.3:12000", undefined)), "UI_TOKEN_REQUIRED");
  assert.deepEqual(parseUiListen("0.0.0.0:12000", TOKEN), { host: "0.0.0.0", port: 12000, token: TOKEN });
});

test("--ui-listen: bad addresses, ports and tokens are refused", () => {
  for (const bad of ["12000", "localhost:12000", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:", "::1:12000"]) assert.equal(code(() => parseUiListen(bad, undefined)), "INVALID_ARGUMENT", bad);
  assert.equal(code(() => parseUiListen("0.0.0.0:1", "short")), "INVALID_ARGUMENT");
  assert.equal(code(() => parseUiListen("0.0.0.0:1", "has a space in it ok")), "INVALID_ARGUMENT");
});

test("with a token: bearer header or cookie pass; ?token= once sets the cookie; anything else is refused", () => {
  const ui = parseUiListen("0.0.0.0:12000", TOKEN);
  assert.equal(checkAccess(ui, req("/", { authorization: `Bearer ${TOKEN}` })), "ok");
  assert.equal(checkAccess(ui, req("/", { cookie: `a=b; ponton_ui=${TOKEN}` })), "ok");
  assert.equal(checkAccess(ui, req(`/?token=${TOKEN}`)), "cookie");
  for (const r of [req("/"), req("/?token=wrong"), req(`/?token=${TOKEN}`, {}, "POST"), req("/", { authorization: "Bearer wrong" }), req("/", { cookie: "ponton_ui=wrong" })]) {
    const out = checkAccess(ui, r);
    assert.ok(out instanceof EngineError && out.code === "UNAUTHORIZED");
  }
});

test("without a token (loopback): the Host header must name this machine (DNS rebinding)", () => {
  const ui = parseUiListen("127.0.0.1:12000", undefined);
  assert.equal(checkAccess(ui, req("/", { host: "127.0.0.1:12000" })), "ok");
  assert.equal(checkAccess(ui, req("/", { host: "localhost:12000" })), "ok");
  const out = checkAccess(ui, req("/", { host: "evil.example:12000" }));
  assert.ok(out instanceof EngineError && out.code === "UNAUTHORIZED");
});
