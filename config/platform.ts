// What the instances run, in one place: the tests build their Debian roots from the same
// release and refuse a Kamailio of another series, and the user-data refuses to start one.

/**
 * Debian's public SSM parameter for its latest amd64 AMI, resolved at each launch. Debian
 * publishes these under /aws/service/debian/release/<n>/latest/<arch>.
 */
const IMAGE_PARAMETER = "/aws/service/debian/release/13/latest/amd64";

/** Debian 13 (trixie), x86_64: the instances' operating system and the tests' roots. */
export const DEBIAN = {
  release: 13,
  codename: "trixie",
  imageParameter: IMAGE_PARAMETER,
  /** The same, as an image id EC2 resolves at each launch (a launch template's image_id). */
  latestImage: `resolve:ssm:${IMAGE_PARAMETER}`,
  /**
   * The root device of Debian's AMIs. It belongs to the image: a block device mapping under
   * another name (Ubuntu's /dev/sda1) would add an empty volume instead of sizing and
   * encrypting the root.
   */
  rootDeviceName: "/dev/xvda",
  architecture: "x86_64",
} as const;

/**
 * The Kamailio major.minor the tests ran (Debian 13's package). The user-data compares the
 * installed version with it and refuses to start another.
 */
export const KAMAILIO_SERIES = "6.0";

/**
 * What the user-data installs from Debian's archive (the boot test's local mirror carries the
 * same). logrotate is not in Debian's EC2 image, and the Kamailio log needs rotating.
 */
export const INSTANCE_PACKAGES = {
  always: ["kamailio", "logrotate"],
  tls: ["kamailio-tls-modules"],
} as const;

/** Tags each instance puts on itself at boot: what it booted, for `describe-instances`. */
export const BOOT_TAGS = { image: "BootImageId", kamailio: "KamailioVersion" } as const;

/**
 * How Kamailio's lines leave the journal for the file the CloudWatch agent tails: every line
 * Kamailio logged (its syslog identifier), with a precise timestamp, followed live. Run by a
 * service on the instances (with a cursor file, so a restart neither repeats nor skips) and by
 * the lab and benchmark when they log as deployed.
 */
export const JOURNAL_EXPORT_COMMAND =
  "/usr/bin/journalctl --follow --no-tail --output=short-iso-precise SYSLOG_IDENTIFIER=kamailio";

/**
 * journald's drop-in on the instances. Its per-service rate limit (10,000 lines per 30 s,
 * scaled by free disk space) would drop SIPLOG lines above roughly 300 calls/s. journald.conf(5):
 * "To turn off any kind of rate limiting, set either value to 0." The proxy is the only
 * service on the instance that logs at volume.
 */
export const JOURNALD_DROPIN = {
  path: "/etc/systemd/journald.conf.d/60-sip-proxy.conf",
  text: "[Journal]\nRateLimitIntervalSec=0\n",
} as const;
