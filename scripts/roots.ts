// npm run roots: builds (or reuses from the machine cache) the Debian 13 roots the tests run
// in. The cache folder is $SIP_PROXY_CACHE_DIR, by default /var/cache/sip-proxy-infra.
import { cacheDir, RootUnavailableError } from "../lab/debian-root";
import { ensureAllRoots } from "../lab/roots";
import { ensureMotoRoot } from "./lib/moto";
import { runCommand, type CommandSpec } from "./lib/cli";

const SPEC: CommandSpec = {
  command: "npm run roots",
  summary: `Builds or reuses the Debian 13 roots the tests run in (Kamailio, the EC2 image, the moto emulator of the deploy rehearsal). Cache: ${cacheDir()} (set SIP_PROXY_CACHE_DIR to move it). Needs root.`,
  examples: ["npm run roots", "SIP_PROXY_CACHE_DIR=/srv/cache npm run roots"],
};

runCommand(SPEC, () => {
  try {
    ensureAllRoots((line) => console.log(`roots: ${line}`));
    ensureMotoRoot((line) => console.log(`roots: ${line}`));
    return 0;
  } catch (error) {
    if (error instanceof RootUnavailableError) {
      console.error(`roots: ${error.message}`);
      return 1;
    }
    throw error;
  }
});
