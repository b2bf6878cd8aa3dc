// npm run roots: builds (or reuses from the machine cache) the Debian 13 roots the tests run
// in. The cache folder is $SIP_PROXY_CACHE_DIR, by default /var/cache/sip-proxy-infra.
import { cacheDir, RootUnavailableError } from "../lab/debian-root";
import { ensureAllRoots } from "../lab/roots";
import { ensureMotoRoot } from "./lib/moto";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(`usage: npm run roots

Builds or reuses the Debian 13 roots the tests run in (Kamailio, the EC2 image, the moto
emulator of the deploy rehearsal).
Cache: ${cacheDir()} (set SIP_PROXY_CACHE_DIR to move it). Needs root.`);
  process.exit(0);
}
try {
  ensureAllRoots((line) => console.log(`roots: ${line}`));
  ensureMotoRoot((line) => console.log(`roots: ${line}`));
} catch (error) {
  if (error instanceof RootUnavailableError) {
    console.error(`roots: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
