// A real runtime: podman 4.3's CNI backend with a Ponton conflist, run inside the test host's
// network namespace. Skipped (with the reason) when podman/runc/busybox are not installed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TestHost, eventually, sh, UPLINK_HOST } from "../harness";
import { ROOT } from "./cni-driver";

const missing = ["/usr/bin/podman", "/usr/sbin/runc", "/bin/busybox"].find((p) => !existsSync(p) && !existsSync(p.replace("/sbin/", "/bin/")));

describe("podman with ponton-cni", { skip: missing ? `${missing} not installed` : false }, () => {
  let h: TestHost;
  let dir: string;
  let rootfs: string;
  // podman's CNI backend keeps libcni's result cache in /var/lib/cni (not configurable in 4.3).
  const cniCacheExisted = existsSync("/var/lib/cni");
  before(async () => {
    h = await new TestHost("pod").setUp();
    dir = path.join(h.dir, "podman");
    rootfs = path.join(dir, "rootfs");
    mkdirSync(path.join(rootfs, "bin"), { recursive: true });
    for (const d of ["etc", "proc", "sys", "dev", "tmp", "www"]) mkdirSync(path.join(rootfs, d), { recursive: true });
    copyFileSync("/bin/busybox", path.join(rootfs, "bin", "busybox"));
    const applets = (await sh("/bin/busybox", ["--list"])).stdout.split("\n").filter((a) => a && a !== "busybox");
    for (const a of applets) symlinkSync("busybox", path.join(rootfs, "bin", a));
    writeFileSync(path.join(rootfs, "www", "index.html"), "hello-podman\n");
    mkdirSync(path.join(dir, "net.d"), { recursive: true });
    // The conflist docs/cni.md documents for podman 4.x, as written; only the test daemon's socket is added.
    const list = JSON.parse(readFileSync(path.join(ROOT, "examples", "cni", "10-ponton.conflist"), "utf8")) as { plugins: Record<string, unknown>[] };
    list.plugins[0]!.socket = h.socket;
    writeFileSync(path.join(dir, "net.d", "ponton.conflist"), JSON.stringify(list));
    writeFileSync(
      path.join(dir, "containers.conf"),
      `[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["${path.join(ROOT, "bin")}", "/usr/lib/cni"]\nnetwork_config_dir = "${path.join(dir, "net.d")}"\n[engine]\ntmp_dir = "${path.join(dir, "tmp")}"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n`,
    );
  });
  after(async () => {
    await podman(["rm", "-f", "-a", "-t", "0"]).catch(() => undefined);
    await h.tearDown();
    if (!cniCacheExisted) rmSync("/var/lib/cni", { recursive: true, force: true });
  });

  function podman(args: string[], timeoutMs = 60_000) {
    return sh("env", [`CONTAINERS_CONF=${path.join(dir, "containers.conf")}`, "nsenter", `--net=/run/netns/${h.hostNs}`, "podman", "--root", path.join(dir, "root"), "--runroot", path.join(dir, "runroot"), "--runtime", "runc", ...args], { timeoutMs });
  }
  const RUN = ["run", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "ponton"];

  test("podman run gets an address from Ponton, reaches another container, and its published port works", async () => {
    const web = await podman([...RUN, "-d", "--name", "pweb", "-p", "18181:80", "--rootfs", rootfs, "/bin/httpd", "-f", "-p", "80", "-h", "/www"]);
    assert.equal(web.code, 0, web.stderr);
    const ls = JSON.parse(await h.pontonOk("ls", "-o", "json")) as { name: string; networks: { ip4: string }[] }[];
    const w = ls.find((x) => x.name === "pweb");
    assert.ok(w, `pweb in ponton ls: ${JSON.stringify(ls)}`);
    const ip = w.networks[0]!.ip4;
    assert.match(ip, /^10\.88\./, "from the network the conflist describes");
    const client = await podman([...RUN, "--rm", "--name", "pcli", "--rootfs", rootfs, "/bin/sh", "-c", `ip -4 -o addr show eth0; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 80; echo; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 pweb 80 | sed 's/^/by-name: /'`]);
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /10\.88\.\d+\.\d+\/16/, "the client got a Ponton address");
    assert.match(client.stdout, /hello-podman/, "the client reached pweb");
    assert.match(client.stdout, /by-name: hello-podman/, "the client reached pweb by name through Ponton's DNS");
    const viaPort = await eventually(async () => (await sh("ip", ["netns", "exec", h.outsideNs, "curl", "-s", "-m", "3", `http://${UPLINK_HOST}:18181/`])).stdout.trim() === "hello-podman");
    assert.ok(viaPort, "published port 18181 from the outside");
    const rm = await podman(["rm", "-f", "-t", "0", "pweb"]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(JSON.parse(await h.pontonOk("ls", "-o", "json")), [], "podman rm ran DEL");
  });
});
