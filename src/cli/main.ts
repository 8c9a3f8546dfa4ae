// The ponton command (bin/ponton runs this when bin/ponton-client is not built or falls back).
import { runCli } from "./cli";

void runCli(process.argv.slice(2)).then((code) => process.exit(code));
