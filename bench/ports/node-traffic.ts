// Traffic without iperf3/wrk (not installed on every bench machine): a server for the workload and
// a client for the other namespace, both plain Node sockets, so every path pays the same user-space cost.
//   server:            :80 answers "ok" and closes (new connections); :5201 counts bytes, replies the count
//   client bulk H P MB:        one TCP stream of MB mebibytes; prints Gbit/s
//   client conns H P S C:      C parallel loops of connect / read "ok" / close for S seconds; prints conn/s
import net from "node:net";

function server(): void {
  net.createServer((s) => s.end("ok\n")).listen(80, "::");
  net
    .createServer((s) => {
      let n = 0;
      s.on("data", (d) => (n += d.length));
      s.on("end", () => s.end(`${n}\n`));
    })
    .listen(5201, "::");
}

function bulk(host: string, port: number, mib: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 16, 7);
    const total = mib * 16;
    const t0 = process.hrtime.bigint();
    const s = net.connect({ host, port }, () => {
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent++;
          if (!s.write(chunk)) return void s.once("drain", pump);
        }
        s.end();
      };
      pump();
    });
    let reply = "";
    s.on("data", (d) => (reply += d));
    s.on("end", () => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (Number(reply) !== total * chunk.length) return reject(new Error(`short transfer: ${reply}`));
      resolve((total * chunk.length * 8) / seconds / 1e9);
    });
    s.on("error", reject);
  });
}

async function conns(host: string, port: number, seconds: number, parallel: number): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host, port });
      s.on("data", () => undefined);
      s.on("end", () => resolve());
      s.on("error", reject);
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < end) {
        await one();
        done++;
      }
    }),
  );
  return done / seconds;
}

if (require.main === module) {
  const [mode, host, port, a, b] = process.argv.slice(2);
  if (mode === "server") server();
  else if (mode === "bulk") void bulk(host!, Number(port), Number(a)).then((x) => console.log(x.toFixed(3)));
  else if (mode === "conns") void conns(host!, Number(port), Number(a), Number(b)).then((x) => console.log(x.toFixed(0)));
  else {
    console.error("usage: node-traffic server | bulk HOST PORT MIB | conns HOST PORT SECONDS PARALLEL");
    process.exit(2);
  }
}
