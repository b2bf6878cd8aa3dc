// The digest credentials file Kamailio includes when an environment has sourceAuth, written
// for the lab the way the user-data writes it on an instance (templates/user-data.sh.ejs):
// the password never enters kamailio.cfg, only its HA1 and a nonce secret derived from it.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";

export interface SourceAuthCredentials {
  readonly username: string;
  readonly realm: string;
  readonly password: string;
  /** @default derived from the password, as every instance of an environment derives it */
  readonly nonceSecret?: string;
}

const hex = (algorithm: string, text: string) => createHash(algorithm).update(text).digest("hex");

/** The include file's text: SOURCE_AUTH_HA1 (RFC 2617 HA1) and SOURCE_AUTH_SECRET. */
export function sourceAuthInclude(c: SourceAuthCredentials): string {
  const ha1 = hex("md5", `${c.username}:${c.realm}:${c.password}`);
  const secret = c.nonceSecret ?? hex("sha256", `nonce-secret:${c.password}`).slice(0, 32);
  return `#!define SOURCE_AUTH_HA1 "${ha1}"\n#!define SOURCE_AUTH_SECRET "${secret}"\n`;
}

export function writeSourceAuthFile(file: string, credentials: SourceAuthCredentials): string {
  writeFileSync(file, sourceAuthInclude(credentials), { mode: 0o640 });
  return file;
}
