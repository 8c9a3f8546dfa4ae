// The ponton command (bin/ponton runs this when bin/ponton-client is not built or falls back).
import { runCli } from "./cli";

// Writes to a pipe are asynchronous: exiting at once cut `ponton observe -o json | jq` at the pipe's
// 64 KiB. Exit once stdout and stderr have flushed what was written before.
void runCli(process.argv.slice(2)).then((code) => {
  let open = 2;
  const flushed = () => {
    if (--open === 0) process.exit(code);
  };
  process.stdout.write("", flushed);
  process.stderr.write("", flushed);
});
