import { test } from "node:test";
import assert from "node:assert/strict";
import { etcFilesOf, etcNetnsName } from "./netns-etc";

test("files go to /etc/netns/NAME for an owned namespace or a given /run/netns/NAME; elsewhere the runtime owns /etc", () => {
  assert.equal(etcNetnsName({ netnsMode: "owned", netns: "p-web" }), "p-web");
  assert.equal(etcNetnsName({ netnsMode: "path", netns: "/run/netns/mine" }), "mine");
  assert.equal(etcNetnsName({ netnsMode: "path", netns: "/run/netns/../netns/mine" }), "mine");
  assert.equal(etcNetnsName({ netnsMode: "path", netns: "/proc/42/ns/net" }), undefined);
  assert.equal(etcNetnsName({ netnsMode: "path", netns: "/run/netns/cni-1", cni: { network: "n", containerId: "c", ifname: "eth0" } }), undefined);
  assert.equal(etcNetnsName({ netnsMode: "host", netns: "" }), undefined);
  assert.equal(etcFilesOf("/etc/netns", { netnsMode: "path", netns: "/run/netns/mine" }), "/etc/netns/mine");
  assert.match(etcFilesOf("/etc/netns", { netnsMode: "path", netns: "/proc/42/ns/net" }), /owned by the runtime/);
});
