import { test } from "node:test";
import assert from "node:assert/strict";
import { checkMatchName, checkMatchPattern, dnsMatches, normalizeDnsName } from "./dns-match";

const pat = (p: string, name: string) => dnsMatches({ matchPattern: p }, normalizeDnsName(name));

test("matchPattern: * inside a label, * alone matches every name, **. several labels (Cilium's cases)", () => {
  assert.ok(pat("*", "example.com"));
  assert.ok(pat("*", "a.b.c.d"));
  assert.ok(pat("*.cilium.io", "docs.cilium.io"));
  assert.ok(pat("*.cilium.io", "DOCS.Cilium.IO."), "case and the trailing dot do not matter");
  assert.ok(!pat("*.cilium.io", "cilium.io"), "* needs its own label here");
  assert.ok(!pat("*.cilium.io", "a.docs.cilium.io"), "* stays within one label");
  assert.ok(!pat("*.cilium.io", "docs.cilium.io.evil.com"));
  assert.ok(!pat("*.cilium.io", "docsXcilium.io"), "the dot is literal");
  assert.ok(pat("sub*.cilium.io", "sub.cilium.io"), "* matches the empty run");
  assert.ok(pat("sub*.cilium.io", "subdomain.cilium.io"));
  assert.ok(!pat("sub*.cilium.io", "asub.cilium.io"));
  assert.ok(pat("*cilium.io", "cilium.io"));
  assert.ok(pat("api.*.example.com", "api.eu-1.example.com"));
  assert.ok(!pat("api.*.example.com", "api.eu.1.example.com"));
  assert.ok(pat("**.example.com", "a.b.example.com"));
  assert.ok(pat("**.example.com", "a.example.com"));
  assert.ok(!pat("**.example.com", "example.com"));
  assert.ok(pat("a_b-*.x", "a_b-9.x"), "- and _ are DNS characters");
});

test("matchName is exact, case-insensitive", () => {
  const m = { matchName: "example.com" };
  assert.ok(dnsMatches(m, normalizeDnsName("Example.COM.")));
  assert.ok(!dnsMatches(m, "www.example.com"));
  assert.ok(!dnsMatches(m, "example.co"));
});

test("validation names what is wrong", () => {
  assert.equal(checkMatchName("example.com"), undefined);
  assert.match(checkMatchName("ex ample.com")!, /letters/);
  assert.match(checkMatchName("a..b")!, /empty label/);
  assert.match(checkMatchName("*.b")!, /letters/);
  assert.equal(checkMatchPattern("*.example.com"), undefined);
  assert.equal(checkMatchPattern("**.example.com"), undefined);
  assert.match(checkMatchPattern("a.**.com")!, /leading/);
  assert.match(checkMatchPattern("")!, /empty/);
  assert.match(checkMatchPattern("a/b")!, /letters/);
});
