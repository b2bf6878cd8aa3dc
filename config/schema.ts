// The one place where an environment's input becomes a trusted EnvironmentConfig.
// Validation is declarative (zod); every field carries a fix hint so that whatever the
// problem (wrong type, missing, out of range) the operator is told what to write instead.
import { z } from "zod";
import { canonicalCidr, cidrSubnet, isCanonical, isPrivate, overlaps, parseCidr } from "./cidr";
import { ConfigError, ConfigErrors, type ConfigIssue } from "./config-error";
import { isInZone, isReservedDomain } from "./dns";
import { documented, fieldsOf, hintIn, type FieldEntry } from "./field-docs";
import { PROJECT_TAG_NAMES, stackNameFor } from "./names";
import { DEBIAN } from "./platform";
import {
  ACCOUNT_SID_PATTERN,
  ANY_ACCOUNT,
  PLACEHOLDER_ACCOUNT_SID,
  TWILIO_SIGNALING_CIDRS,
  WIDEST_ADDED_SOURCE_PREFIX,
} from "./twilio";
import AWS_DATA from "./aws-data.json";

export { ConfigError, ConfigErrors, type ConfigIssue } from "./config-error";

export const ARCHITECTURES = ["single", "load-balanced"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const LOG_LEVELS = ["error", "warn", "notice", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Tags the stack sets on every resource itself; an environment may not override them. */
export const RESERVED_TAGS: readonly string[] = PROJECT_TAG_NAMES;

/**
 * Subnets are carved as /(vpcPrefix + SUBNET_NEWBITS): 16 slots. Public subnets take slots
 * 0..7 and private subnets 8..15, one of each per availability zone, so adding private
 * subnets or AZs later never renumbers an existing subnet.
 */
const SUBNET_NEWBITS = 4;
const PRIVATE_SLOT_OFFSET = 8;
const MAX_AZS = 8;
/** AWS accepts subnets from /16 to /28. */
const SMALLEST_SUBNET_PREFIX = 28;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Settings that no longer exist, and what to write instead. */
const RETIRED: Record<string, { problem: string; fix: string }> = {
  allowedSourceCidrs: {
    problem: "is retired: it replaced Twilio's signaling edges, and three of eight were let in",
    fix: "remove it; Twilio's eight edges are always admitted (config/twilio.ts); put any extra source in additionalSourceCidrs",
  },
};

// Every field below carries its own documentation (config/field-docs.ts): the fix hint each
// error on it shows, what it does and, where the parser cannot show it, its default. The
// README's environment table is generated from them (`npm run docs`).

const cidrString = z.string().refine((s) => parseCidr(s) !== undefined, "is not an IPv4 CIDR such as 10.0.0.0/16");
const wholeNumber = (min: number, max: number) => z.number().int().min(min).max(max);
const port = (lowest: number) => wholeNumber(lowest, 65535);
const retentionHint = `use one of ${LOG_RETENTION_DAYS.join(", ")}`;

/** The UDP ports requests to the destination may leave from, first choice first. */
const EGRESS_PORTS = [5080, 5090, 5100] as const;

/** The first egress port neither the SIP nor the TLS port uses. */
function defaultEgressPort(sip: { port: number; tlsPort: number }): number {
  return EGRESS_PORTS.find((p) => p !== sip.port && p !== sip.tlsPort)!;
}

const sipSchema = documented(
  z.strictObject({
    port: documented(port(1024).default(5060), {
      hint: "use a port from 1024 to 65535 (5060 is the SIP default)",
      about: "where Twilio sends SIP (UDP and TCP); 5060 is the port Twilio dials when the TwiML URI names none",
    }),
    destinationTransport: documented(z.enum(["udp", "tcp", "tls"]).default("udp"), {
      hint: 'use "udp", "tcp" or "tls"',
      about:
        'how INVITEs reach the destination. `"udp"` is what Twilio SIP domains use unless told otherwise; `"tcp"` avoids UDP fragmentation of large INVITEs (the INC-979 failure) and needs the destination to accept TCP; `"tls"` encrypts them and needs every destination\'s port (Twilio: 5061) ([Carrier resilience](#carrier-resilience))',
    }),
    tlsPort: documented(port(1024).default(5061), {
      hint: "use a port from 1024 to 65535 other than sip.port (5061 is the SIP TLS default)",
      about:
        'Kamailio\'s TLS socket, with `"tls"`: it opens the connections to the destination and takes in-dialog requests back on it',
    }),
    egressPort: documented(port(1024).optional(), {
      hint: `use a port from 1024 to 65535 other than sip.port and sip.tlsPort, e.g. ${EGRESS_PORTS[0]}`,
      defaultText: `\`${EGRESS_PORTS[0]}\`, or the first of ${EGRESS_PORTS.slice(1).join(", ")} that sip.port and sip.tlsPort leave free`,
      about:
        "the UDP port requests to the destination leave from. Not `sip.port`: behind an NLB, a datagram from instance:5060 to a Twilio edge's 5060 reverses that edge's own flow into the NLB and leaves with the NLB's address, which the destination's IP ACL does not list ([Load-balanced signalling](#load-balanced-signalling-what-the-aws-packet-path-does-to-sip)). Nothing listens for new requests on it; the security group needs no rule for it",
    }),
    transactionTimeoutMs: documented(wholeNumber(1000, 32000).default(5000), {
      hint: "use 1000 to 32000 ms; the time to wait for any reply from the destination",
      about: "a destination that sends nothing at all this long is failed over, or the caller gets 408 (`fr_timer`)",
    }),
    ringTimeoutMs: documented(wholeNumber(10000, 300000).default(120000), {
      hint: "use 10000 to 300000 ms; how long a call may ring before the proxy gives up",
      about: "how long a call may ring once the destination sent 180 or 183",
    }),
    progressTimeoutMs: documented(wholeNumber(1000, 60000).default(5000), {
      hint: "use 1000 to 60000 ms, below sip.ringTimeoutMs; how long a destination may stay at 100 Trying before the next is tried",
      about:
        "a destination that sends 100 Trying and then nothing more (no 180/183, no final reply) is failed over this long after its 100; without it such a destination would hold the call for the whole `ringTimeoutMs`",
    }),
    children: documented(wholeNumber(1, 32).default(4), {
      hint: "use 1 to 32 worker processes per transport",
      about:
        "Kamailio worker processes per transport: two per vCPU of a t3.small, so a slow DNS lookup blocks only one",
    }),
    peakCallsPerSecond: documented(wholeNumber(1, 20000).default(1000), {
      hint: "use 1 to 20000 call setups per second per instance",
      about:
        "per instance; sizes Kamailio's shared memory (about 145 MB per 1,000 calls/s held for the transaction lifetime, plus headroom; [Capacity](#capacity)), capped at half the instance's RAM",
    }),
  }),
  { hint: "see the `sip` settings documented in config/schema.ts" },
);

const hostname = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "is not a fully qualified host name");

const autoscalingSchema = documented(
  z.strictObject({
    min: documented(wholeNumber(1, 100).default(2), {
      hint: "use 1 to 100 instances, at most autoscaling.max",
      about: "two instances keep a call path when one fails",
    }),
    desired: documented(wholeNumber(1, 100).optional(), {
      hint: "use a number of instances from autoscaling.min to autoscaling.max",
      defaultText: "`min`",
      about: "instances the group starts with",
    }),
    max: documented(wholeNumber(1, 100).default(10), {
      hint: "use 1 to 100 instances, at least autoscaling.min",
      about: "the most instances scaling out may reach; `near-max-capacity` warns two below it",
    }),
    healthCheckGraceSeconds: documented(wholeNumber(60, 1800).default(300), {
      hint: "use 60 to 1800 seconds; first boot installs Kamailio in about 3 minutes",
      about: "time for a first boot (apt install, config check) before the load balancer's health checks count",
    }),
  }),
  {
    hint: "use { min, desired, max } with 1 <= min <= desired <= max <= 100",
    about: "load-balanced only; `min <= desired <= max`",
    defaultText: "each field's default (load-balanced)",
  },
);

const retentionDays = z
  .number()
  .int()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), "is not a retention CloudWatch Logs accepts");

const logRetentionSchema = z.strictObject({
  kamailio: documented(retentionDays.default(14), {
    hint: retentionHint,
    about:
      "SIPLOG lines carry Call-IDs and source addresses (no telephone numbers): personal data, kept no longer than it takes to look into a call someone reports (a week, with a week's margin)",
  }),
  setup: documented(retentionDays.default(30), {
    hint: retentionHint,
    about: "boot and setup output, no call data; a month covers an instance's first refresh",
  }),
  flowLogs: documented(retentionDays.default(14), {
    hint: retentionHint,
    about:
      "rejected packets' addresses (scanners, a Twilio range the security group missed); the rejected-SIP metrics keep the trend",
  }),
});

const monitoringSchema = documented(
  z.strictObject({
    alertEmails: documented(z.array(z.email()).default([]), {
      hint: 'list email addresses, e.g. ["voice-oncall@example.com"]',
      about:
        "subscribed to both alert topics; with none, alarms still fire and show in the console but nobody is emailed",
    }),
    logRetentionDays: documented(
      logRetentionSchema.default(() => logRetentionSchema.parse({})),
      {
        hint: "give days per log group, e.g. { kamailio: 14, setup: 30, flowLogs: 14 } (a single number is no longer accepted)",
        about:
          "days each log group keeps its events; the metrics derived from them are kept by CloudWatch for 15 months regardless, so dashboards and alarms never need old log lines",
      },
    ),
    timeoutAlarmThreshold: documented(wholeNumber(1, 100000).default(5), {
      hint: "use a whole number of 408 replies per 5 minutes, e.g. 5",
      about:
        "more 408s (destination silent) than this in 5 minutes pages critical (`destination-timeouts`): the INC-979 signal, which went unnoticed for 1 h 43 min",
    }),
    answerRateAlarmPercent: documented(z.number().min(1).max(99).default(40), {
      hint: "use a percentage from 1 to 99, e.g. 40",
      about: "share of new INVITEs answered (2xx) below which `answer-rate` fires",
    }),
    answerRateMinInvites: documented(wholeNumber(1, 100000).default(10), {
      hint: "use a whole number of INVITEs per 5 minutes, e.g. 10",
      about: "`answer-rate` ignores 5-minute periods with fewer new INVITEs than this",
    }),
    cpuAlarmPercent: documented(z.number().min(10).max(100).default(80), {
      hint: "use a percentage from 10 to 100, e.g. 80",
      about: "average CPU above which `cpu-high` fires",
    }),
    paging: documented(z.boolean().default(true), {
      hint: "use true or false",
      about:
        "critical alerts page through an HTTPS endpoint (e.g. PagerDuty) given at deploy time as `TF_VAR_critical_alerts_https_endpoint`; the variable then has no default, so a deploy without it stops with Terraform's missing-variable error instead of deleting the subscription. `false`: no paging subscription and no variable ([Monitoring](#monitoring))",
    }),
  }),
  { hint: "see the `monitoring` settings documented in config/schema.ts" },
);

const dnsSchema = documented(
  z.strictObject({
    name: documented(hostname, {
      hint: "use a fully qualified host name such as sip.example.com",
      about: "the name Twilio dials and Kamailio advertises instead of an IP address",
    }),
    hostedZone: documented(hostname.optional(), {
      hint: 'use the name of the public Route 53 hosted zone that holds dns.name, without a trailing dot, e.g. "example.com"',
      about:
        "the public Route 53 zone that holds `name`: the stack looks it up by name (`private_zone = false`) and keeps an A record (TTL 60) of every public address in it. Without a zone no record is created: point the name at the proxy yourself. Set this or `hostedZoneId`, not both",
    }),
    hostedZoneId: documented(
      z
        .string()
        .regex(/^Z[A-Z0-9]{1,32}$/, "is not a Route 53 hosted zone id")
        .optional(),
      {
        hint: "use the Route 53 hosted zone id (Z followed by letters and digits) that holds dns.name",
        about: "the same zone by id, for a zone the name lookup cannot single out",
      },
    ),
  }),
  {
    hint: 'use { name: "sip.prod.example.com", hostedZone: "example.com" } (the public Route 53 zone that holds the name), or hostedZoneId instead of hostedZone',
    defaultText: "none; required with a zone for load-balanced in 2+ zones",
    about:
      "advertise and dial a name instead of the Elastic IP; `twiml` uses it. Required, with a zone, for a load-balanced environment in more than one zone: its NLB has an Elastic IP per zone, and advertising one would tie every call and dialog to that zone ([Ingress across zones](#ingress-across-zones-one-dns-name-for-every-nlb-address))",
  },
);

const destinationSchema = z.strictObject({
  host: documented(hostname, {
    hint: "use a fully qualified host name such as acme.sip.ashburn.twilio.com",
    about: 'e.g. `"acme.sip.ashburn.twilio.com"`',
  }),
  port: documented(port(1).optional(), {
    hint: "use a port from 1 to 65535",
    defaultText: "the transport's standard port (5060)",
    about: 'needed for every destination with `sip.destinationTransport` `"tls"`',
  }),
  enabled: documented(z.boolean().default(true), {
    hint: "use true or false",
    about:
      "`false` takes the destination out of rotation without deleting it ([Runbook: disable a carrier path](#runbook-disable-a-carrier-path))",
  }),
});

// Regions and x86_64 instance types from config/aws-data.json, generated from the data moto
// bundles (`npm run aws-data`; a test regenerates it). A pattern would admit "t3.mega" and
// "eu-central-9", which then fail only half-way through a deploy.
const KNOWN_REGIONS: ReadonlySet<string> = new Set(AWS_DATA.regions);
const X86_64_TYPES: ReadonlySet<string> = new Set(AWS_DATA.x86_64InstanceTypes);
const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "is not an AWS region code")
  .refine((r) => KNOWN_REGIONS.has(r), "is not an AWS region (config/aws-data.json lists the known ones)");

const stateBackendSchema = documented(
  z.strictObject({
    bucket: documented(
      z
        .string()
        .regex(
          /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
          "is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, dashes)",
        ),
      {
        hint: 'use the name of the S3 bucket `npm run bootstrap-state` created, e.g. "my-tf-state"',
        about: "the S3 bucket that holds the state; `npm run bootstrap-state` creates it ([State](#state))",
      },
    ),
    keyPrefix: documented(
      z
        .string()
        .regex(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, "must be a path without leading or trailing slashes")
        .default("sip-proxy"),
      {
        hint: 'use a path without leading or trailing slashes, e.g. "sip-proxy"',
        about: "the state lands at `<keyPrefix>/<environment>/terraform.tfstate`",
      },
    ),
    region: documented(awsRegion.optional(), {
      hint: 'use the AWS region of the bucket, e.g. "us-east-1"',
      defaultText: "the environment's `region`",
      about: "the bucket's region",
    }),
  }),
  {
    hint: 'use { bucket: "my-tf-state", keyPrefix: "sip-proxy", region: "us-east-1" } or leave it out for local state',
    defaultText: "local file `terraform.sip-proxy-<env>.tfstate` in the project root (dev)",
    about: "S3 state, encrypted, with an S3 lock file; staging and prod ship with one ([State](#state))",
  },
);

/** Without natGateways, a load-balanced environment has one NAT gateway. */
const DEFAULT_NAT_GATEWAYS = "single";

export const environmentSchema = z.strictObject({
  name: documented(z.string().regex(/^[a-z][a-z0-9-]{1,19}$/, "is not a valid environment name"), {
    hint: 'use 2-20 lowercase letters, digits or dashes starting with a letter, e.g. "dev"',
    about: "names the stack (`sip-proxy-<name>`), its state and its resources; must equal the file's name",
  }),
  region: documented(awsRegion, {
    hint: 'use an AWS region code such as "us-east-1"',
    about: "must be in `config/aws-data.json`",
  }),
  availabilityZones: documented(
    z.array(z.string()).min(1, "needs at least one zone").max(MAX_AZS, `allows at most ${MAX_AZS} zones`),
    {
      hint: 'list 1 to 8 zones of the region, e.g. ["us-east-1a"]',
      about: "zones of the region; a subnet of each kind per zone",
    },
  ),
  architecture: documented(z.enum(ARCHITECTURES), {
    hint: `use one of ${ARCHITECTURES.map((a) => `"${a}"`).join(", ")}`,
    about: "one instance with its Elastic IP, or an Auto Scaling group behind an NLB ([Architectures](#architectures))",
  }),
  vpcCidr: documented(cidrString.default("10.0.0.0/16"), {
    hint: 'use a private IPv4 block from /16 to /24, e.g. "10.0.0.0/16"',
    about: `private, /16 to /24; carved into /(n+${SUBNET_NEWBITS}) subnets: public in slots 0-${PRIVATE_SLOT_OFFSET - 1}, private in ${PRIVATE_SLOT_OFFSET}-${2 ** SUBNET_NEWBITS - 1}`,
  }),
  instanceType: documented(
    z
      .string()
      .regex(/^[a-z]+\d+[a-z-]*\.[a-z0-9]+$/, "is not an EC2 instance type")
      .refine((t) => !/^[a-z]+\d+g/.test(t), "is a Graviton (arm64) type, but the instances run Debian 13 amd64 only")
      .refine(
        (t) => /^[a-z]+\d+g/.test(t) || X86_64_TYPES.has(t),
        "is not an x86_64 EC2 instance type (config/aws-data.json lists the known ones)",
      )
      .default("t3.small"),
    {
      hint: 'use an x86_64 EC2 instance type such as "t3.small" (the instances run Debian 13 amd64)',
      about:
        "x86_64 only (the instances run Debian 13 amd64), listed in `config/aws-data.json`; a t3.small's 2 vCPU and 2 GiB suit signalling, which is CPU-light and needs little memory",
    },
  ),
  imageId: documented(
    z
      .string()
      .regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, "is not an AMI id")
      .optional(),
    {
      hint: 'leave it out to launch Debian 13\'s latest amd64 AMI, or pin a Debian 13 amd64 AMI id such as "ami-0123456789abcdef0"',
      defaultText: "Debian 13's latest amd64 AMI, looked up at each launch from Debian's public SSM parameter",
      about:
        "pin a Debian 13 amd64 AMI (root device `/dev/xvda`) for production, so that a relaunch boots what was tested",
    },
  ),
  rootVolumeGb: documented(wholeNumber(8, 1024).default(20), {
    hint: "use a whole number of GiB from 8 to 1024",
    about: "the encrypted root volume, in GiB",
  }),
  destinationDomain: documented(
    z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.sip(\.[a-z0-9-]+)?\.twilio\.com$/,
        "is not a Twilio SIP domain (<name>.sip.twilio.com)",
      ),
    {
      hint: 'use the destination account\'s SIP domain, e.g. "acme.sip.twilio.com"',
      about: "the destination account's Twilio SIP domain (`<name>.sip.twilio.com`)",
    },
  ),
  destinations: documented(
    z.array(destinationSchema).min(1, "is empty, so calls would have nowhere to go").optional(),
    {
      hint: 'list { host: "acme.sip.ashburn.twilio.com", port?: 5060, enabled?: true } entries in failover order',
      defaultText: "`[{ host: destinationDomain }]`",
      about:
        "where calls go, in failover order: one that does not answer within `sip.transactionTimeoutMs`, or answers 500/503, gives way to the next within the same call ([Carrier resilience](#carrier-resilience))",
    },
  ),
  additionalSourceCidrs: documented(
    z.array(cidrString).default(() => []),
    {
      hint: `list extra SIP sources (an Interconnect, a test box) as canonical CIDRs of /${WIDEST_ADDED_SOURCE_PREFIX} or narrower; Twilio's signaling edges are always admitted (config/twilio.ts)`,
      about: `SIP sources admitted besides Twilio's ${TWILIO_SIGNALING_CIDRS.length} signaling edges (always admitted, \`config/twilio.ts\`): an Interconnect, a test box; each at most a /${WIDEST_ADDED_SOURCE_PREFIX}. Feeds both the security group and Kamailio's source filter. The old \`allowedSourceCidrs\`, which replaced the edges, is refused with a hint`,
    },
  ),
  sourceAccountSids: documented(
    z.union([
      z.literal(ANY_ACCOUNT),
      z
        .array(z.string().regex(ACCOUNT_SID_PATTERN, 'is not a Twilio Account SID ("AC" and 32 lowercase hex digits)'))
        .min(1, 'is empty; list at least one Account SID, or write "any"'),
    ]),
    {
      hint: 'list the Account SIDs of the Twilio accounts whose calls the proxy relays, e.g. ["AC0123456789abcdef0123456789abcdef"] (Twilio Console, Account Info), or write "any" to relay calls from every Twilio account',
      about: `the Twilio accounts whose calls are relayed: every Twilio customer sends from the same gateways, so the source address alone admits any of them. An initial INVITE must carry exactly one \`X-Twilio-AccountSid\` with a listed value, else 403. \`"any"\` relays every account's calls (warned at every synth). The shipped environments carry the placeholder \`${PLACEHOLDER_ACCOUNT_SID}\`: synth warns and \`next_steps\` says to replace it; until then every call gets 403`,
    },
  ),
  sourceAuth: documented(
    z
      .strictObject({
        username: documented(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "is not a usable SIP user name"), {
          hint: "use 1-64 letters, digits, dots, dashes or underscores, as in TwiML <Sip username=...>",
          about: "the `username` of TwiML `<Sip>`",
        }),
        passwordParameter: documented(
          z
            .string()
            .max(1011)
            .regex(/^\/[A-Za-z0-9_.\-/]+$/, "is not an SSM parameter name starting with /"),
          {
            hint: 'use the name of an SSM SecureString parameter you created, starting with "/", e.g. "/sip-proxy/prod/source-auth-password"',
            about:
              "an SSM SecureString parameter you create out of band; its value is the `password` of TwiML `<Sip>`. Neither `cdk.tf.json` nor Terraform state ever holds it",
          },
        ),
        passwordKeyArn: documented(
          z
            .string()
            .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, "is not a KMS key ARN")
            .optional(),
          {
            hint: 'use the ARN of the customer managed KMS key that encrypts the parameter ("arn:aws:kms:<region>:<account>:key/<id>"), or leave it out for the aws/ssm key',
            defaultText: "the AWS managed key `aws/ssm`",
            about:
              "the customer managed KMS key that encrypts the parameter; the instances may decrypt with it only through SSM",
          },
        ),
      })
      .optional(),
    {
      hint: 'use { username: "sip-proxy", passwordParameter: "/sip-proxy/prod/source-auth-password" } (passwordKeyArn optional) or leave it out',
      defaultText: "none: no challenge, TwiML needs no username or password",
      about:
        "digest-challenge new INVITEs (407) on top of the source and account checks ([Twilio set-up](#twilio-set-up))",
    },
  ),
  sshCidr: documented(cidrString.optional(), {
    hint: 'leave it out (use SSM Session Manager) or give one narrow block such as "203.0.113.10/32"',
    about: "no port 22 at all unless set; shell access is by SSM Session Manager",
  }),
  tags: documented(z.record(z.string().min(1).max(128), z.string().max(256)).default({}), {
    hint: 'use a map of string keys to string values, e.g. { CostCenter: "voice" }',
    about: `added to ${PROJECT_TAG_NAMES.map((t) => `\`${t}\``).join(", ")}, which the stack sets on every resource`,
  }),
  logLevel: documented(z.enum(LOG_LEVELS).default("notice"), {
    hint: `use one of ${LOG_LEVELS.map((l) => `"${l}"`).join(", ")}`,
    about:
      "`notice` or more verbose keeps the per-request `SIPLOG` lines (routing decisions, one line per request and final reply)",
  }),
  stateBackend: stateBackendSchema.optional(),
  sip: sipSchema.default(() => sipSchema.parse({})),
  natGateways: documented(z.enum(["single", "per-az"]).optional(), {
    hint: 'use "single" (one egress IP) or "per-az" (survives a zone loss, one egress IP per zone)',
    defaultText: `\`"${DEFAULT_NAT_GATEWAYS}"\` (load-balanced)`,
    about:
      'load-balanced only. `"single"`: one NAT gateway, one egress IP to whitelist; `"per-az"` survives the loss of a zone but adds an egress IP per zone (needs two or more zones)',
  }),
  autoscaling: autoscalingSchema.optional(),
  dns: dnsSchema.optional(),
  allowElasticIpDestroy: documented(z.boolean().default(false), {
    hint: "use true or false",
    about:
      "every Elastic IP (the addresses Twilio dials and whitelists) has `prevent_destroy`, so no plan can silently replace one. Set `true` only to tear an environment down or to change addresses on purpose",
  }),
  account: documented(
    z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,29}$/, "is not an account label")
      .default("default"),
    {
      hint: 'use a short lowercase label for the AWS account, e.g. "prod"',
      about:
        "a label (not the id) of the AWS account it deploys to: the Elastic IP pre-flight sums addresses per account and region (`config/accounts.ts`); environments without one share an account",
    },
  ),
  monitoring: monitoringSchema.default(() => monitoringSchema.parse({})),
});

/** Every field with its documentation, in declaration order (the README's table, the hints). */
export const ENVIRONMENT_FIELDS: readonly FieldEntry[] = fieldsOf(environmentSchema);

function hintFor(path: string): string {
  return hintIn(ENVIRONMENT_FIELDS, path) ?? "see config/schema.ts for the accepted values";
}

/** What an operator writes in config/environments/<env>.ts. */
export type EnvironmentInput = z.input<typeof environmentSchema>;
type Parsed = z.output<typeof environmentSchema>;

export interface SubnetPlan {
  readonly availabilityZone: string;
  readonly cidr: string;
}

export interface SipSettings {
  readonly port: number;
  readonly destinationTransport: "udp" | "tcp" | "tls";
  readonly tlsPort: number;
  readonly egressPort: number;
  readonly transactionTimeoutMs: number;
  readonly ringTimeoutMs: number;
  readonly progressTimeoutMs: number;
  readonly children: number;
  readonly peakCallsPerSecond: number;
  /** Shared memory Kamailio needs for peakCallsPerSecond; the instance caps it at half its RAM. */
  readonly sharedMemoryMb: number;
  /** Private memory per Kamailio process. */
  readonly privateMemoryMb: number;
}

export interface LoadBalancingSettings {
  readonly natGateways: "single" | "per-az";
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  readonly healthCheckGraceSeconds: number;
}

export interface SourceAuthSettings {
  readonly username: string;
  readonly passwordParameter: string;
  /** Absent: the parameter is encrypted with the AWS managed key aws/ssm. */
  readonly passwordKeyArn?: string;
}

export interface DnsSettings {
  readonly name: string;
  /** The public hosted zone, looked up by name. At most one of hostedZone, hostedZoneId. */
  readonly hostedZone?: string;
  readonly hostedZoneId?: string;
}

export type MonitoringSettings = z.output<typeof monitoringSchema>;

export interface StateBackendConfig {
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
}

/** A fully resolved environment: defaults applied, subnets planned, names derived. */
export interface EnvironmentConfig {
  readonly name: string;
  readonly stackName: string;
  readonly region: string;
  readonly availabilityZones: readonly string[];
  readonly architecture: Architecture;
  readonly vpcCidr: string;
  readonly publicSubnets: readonly SubnetPlan[];
  readonly privateSubnets: readonly SubnetPlan[];
  readonly instanceType: string;
  /** A pinned AMI id, or Debian's public SSM parameter as `resolve:ssm:...`. */
  readonly imageId: string;
  readonly rootVolumeGb: number;
  readonly destinationDomain: string;
  /** Enabled destinations in failover order, as "host" or "host:port". */
  readonly destinations: readonly string[];
  readonly allowedSourceCidrs: readonly string[];
  /** Twilio accounts whose INVITEs are relayed, or "any". */
  readonly sourceAccountSids: readonly string[] | typeof ANY_ACCOUNT;
  readonly sourceAuth?: SourceAuthSettings;
  readonly sshCidr?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly logLevel: LogLevel;
  readonly stateBackend?: StateBackendConfig;
  readonly sip: SipSettings;
  /** Present exactly when architecture is "load-balanced". */
  readonly loadBalancing?: LoadBalancingSettings;
  readonly dns?: DnsSettings;
  readonly monitoring: MonitoringSettings;
  /** prevent_destroy on the Elastic IPs unless this is true. */
  readonly allowElasticIpDestroy: boolean;
  /** Account label for the Elastic IP pre-flight; "default" when none is set. */
  readonly account: string;
}

/** Measured: ~145 MB of shared memory per 1,000 calls/s (DESIGN.md capacity facts). */
const SHM_MB_PER_1000_CPS = 145;
const SHM_BASE_MB = 64;
const SHM_HEADROOM = 1.5;

export function sharedMemoryFor(peakCallsPerSecond: number): number {
  const needed = SHM_BASE_MB + (SHM_HEADROOM * SHM_MB_PER_1000_CPS * peakCallsPerSecond) / 1000;
  return Math.max(128, Math.ceil(needed / 64) * 64);
}

type AddIssue = (path: string, problem: string, fix?: string) => void;

function checkCidrPolicy(p: Parsed, add: AddIssue): void {
  const vpc = parseCidr(p.vpcCidr);
  if (vpc) {
    if (!isCanonical(vpc)) add("vpcCidr", "has host bits set", `write ${canonicalCidr(vpc)}`);
    if (!isPrivate(vpc)) add("vpcCidr", "is not in RFC 1918 private space (10/8, 172.16/12, 192.168/16)");
    if (vpc.prefix < 16) add("vpcCidr", "is larger than AWS allows (/16 at most)");
    if (vpc.prefix + SUBNET_NEWBITS > SMALLEST_SUBNET_PREFIX) {
      add(
        "vpcCidr",
        `is too small: subnets are carved as /${vpc.prefix + SUBNET_NEWBITS} but AWS needs /${SMALLEST_SUBNET_PREFIX} or larger`,
        `use /${SMALLEST_SUBNET_PREFIX - SUBNET_NEWBITS} or a larger block`,
      );
    }
  }

  const seen = new Map<string, number>();
  const edges = TWILIO_SIGNALING_CIDRS.map((text) => [text, parseCidr(text)!] as const);
  p.additionalSourceCidrs.forEach((text, i) => {
    const path = `additionalSourceCidrs[${i}]`;
    const cidr = parseCidr(text);
    if (!cidr) return;
    if (cidr.prefix < WIDEST_ADDED_SOURCE_PREFIX) {
      add(
        path,
        `admits ${2 ** (32 - cidr.prefix)} addresses; an added source may be at most a /${WIDEST_ADDED_SOURCE_PREFIX} (${2 ** (32 - WIDEST_ADDED_SOURCE_PREFIX)} addresses)`,
        "list the exact addresses of the extra source, or several narrower ranges",
      );
      return;
    }
    if (!isCanonical(cidr)) add(path, "has host bits set", `write ${canonicalCidr(cidr)}`);
    if (isPrivate(cidr)) add(path, "is private address space; SIP arrives from public addresses");
    const edge = edges.find(([, range]) => overlaps(cidr, range));
    if (edge) add(path, `overlaps Twilio's signaling edge ${edge[0]}, which is always admitted`, "remove it");
    const earlier = [...seen.entries()].find(([other]) => overlaps(cidr, parseCidr(other)!));
    if (earlier)
      add(path, `overlaps additionalSourceCidrs[${earlier[1]}] (${earlier[0]})`, "remove the duplicate range");
    seen.set(text, i);
  });

  if (p.sshCidr !== undefined) {
    const ssh = parseCidr(p.sshCidr);
    if (ssh && ssh.prefix < 24) add("sshCidr", "opens SSH to more than 256 addresses");
    if (ssh && ssh.prefix >= 24 && !isCanonical(ssh))
      add("sshCidr", "has host bits set", `write ${canonicalCidr(ssh)}`);
  }
}

/** Each zone in the region, listed once. */
function checkZones(p: Parsed, add: AddIssue): void {
  const zones = new Set<string>();
  p.availabilityZones.forEach((az, i) => {
    const path = `availabilityZones[${i}]`;
    if (!new RegExp(`^${p.region}[a-z]$`).test(az)) {
      add(path, `is not a zone of region ${p.region}`, `use ${p.region}a, ${p.region}b, ... or change region`);
    }
    if (zones.has(az)) add(path, "is listed twice", "list each zone once");
    zones.add(az);
  });
}

/** TLS needs destination ports; the SIP, TLS and egress ports differ. */
function checkPorts(p: Parsed, add: AddIssue): void {
  if (p.sip.destinationTransport === "tls") {
    const destinations = p.destinations ?? [{ host: p.destinationDomain, port: undefined, enabled: true }];
    destinations.forEach((d, i) => {
      if (d.port === undefined) {
        add(
          p.destinations ? `destinations[${i}].port` : "destinations",
          "has no port, which TLS needs (the SIP default 5060 is for UDP and TCP)",
          p.destinations
            ? "set port: 5061 (Twilio's SIP over TLS)"
            : 'list the destinations with their TLS port: [{ host: "...", port: 5061 }]',
        );
      }
    });
  }
  if (p.sip.tlsPort === p.sip.port) add("sip.tlsPort", "is the same as sip.port", "use another port, e.g. 5061");
  if (p.sip.egressPort === p.sip.port || p.sip.egressPort === p.sip.tlsPort) {
    add(
      "sip.egressPort",
      "is the same as sip.port or sip.tlsPort",
      `use another port, e.g. ${defaultEgressPort(p.sip)}`,
    );
  }
}

/** Destinations listed once, at least one enabled. */
function checkDestinations(p: Parsed, add: AddIssue): void {
  if (p.destinations) {
    const seen = new Map<string, number>();
    p.destinations.forEach((d, i) => {
      const key = `${d.host}:${d.port ?? 5060}`;
      if (seen.has(key))
        add(`destinations[${i}]`, `repeats destinations[${seen.get(key)}]`, "list each destination once");
      seen.set(key, i);
    });
    if (p.destinations.every((d) => !d.enabled)) {
      add("destinations", "has every destination disabled, so calls would have nowhere to go", "enable at least one");
    }
  }
}

/** The project's own tags are the stack's to set. */
function checkTags(p: Parsed, add: AddIssue): void {
  for (const key of Object.keys(p.tags)) {
    if (RESERVED_TAGS.includes(key)) {
      add(`tags.${key}`, "is set by the stack on every resource", "remove it from tags");
    }
  }
}

/** Settings only one architecture reads, and the load-balanced ones' consistency. */
function checkArchitectureFields(p: Parsed, add: AddIssue): void {
  ARCHITECTURE_FIELD_CHECKS[p.architecture](p, add);
}

/** Per architecture: which settings it must not have, and how its own settings must agree. */
const ARCHITECTURE_FIELD_CHECKS: Record<Architecture, (p: Parsed, add: AddIssue) => void> = {
  single: (p, add) => {
    for (const field of ["natGateways", "autoscaling"] as const) {
      if (p[field] !== undefined) {
        add(field, "only applies to the load-balanced architecture", `remove it, or set architecture: "load-balanced"`);
      }
    }
  },
  "load-balanced": (p, add) => {
    if (p.natGateways === "per-az" && p.availabilityZones.length === 1) {
      add(
        "natGateways",
        'is "per-az" with a single zone, which is the same as "single" under another name',
        'write "single", or list more zones',
      );
    }
    const a = p.autoscaling;
    if (a) {
      if (a.min > a.max) add("autoscaling.min", `is above autoscaling.max (${a.max})`, "lower min or raise max");
      if (a.desired !== undefined && (a.desired < a.min || a.desired > a.max)) {
        add("autoscaling.desired", `is outside [min, max] = [${a.min}, ${a.max}]`, "pick a value between min and max");
      }
    }
  },
};

/** The SIP timers in the order they fire. */
function checkTimers(p: Parsed, add: AddIssue): void {
  if (p.sip.progressTimeoutMs >= p.sip.ringTimeoutMs) {
    add(
      "sip.progressTimeoutMs",
      `must be shorter than sip.ringTimeoutMs (${p.sip.ringTimeoutMs})`,
      "lower progressTimeoutMs or raise ringTimeoutMs",
    );
  }
  if (p.sip.ringTimeoutMs <= p.sip.transactionTimeoutMs) {
    add(
      "sip.ringTimeoutMs",
      "must be longer than sip.transactionTimeoutMs",
      "raise ringTimeoutMs or lower transactionTimeoutMs",
    );
  }
}

/** Each Account SID listed once. */
function checkAccountSids(p: Parsed, add: AddIssue): void {
  if (Array.isArray(p.sourceAccountSids)) {
    const seen = new Map<string, number>();
    p.sourceAccountSids.forEach((sid, i) => {
      if (seen.has(sid))
        add(`sourceAccountSids[${i}]`, `repeats sourceAccountSids[${seen.get(sid)}]`, "list each once");
      seen.set(sid, i);
    });
  }
}

/**
 * The ingress name. A multi-zone load-balanced environment must have one, with the zone the
 * stack keeps its A record in: its NLB has an Elastic IP per zone, and Kamailio can advertise
 * (Via, Record-Route) and Twilio dial only one host. An address would be one zone's NLB node,
 * so that zone's impairment would fail new calls and in-dialog requests although the other
 * zones are healthy; a name whose A record lists every address lets Twilio move to the next.
 */
/** Whether the architecture has a public address per zone (an NLB's), so needs one name for them. */
const ADDRESS_PER_ZONE: Record<Architecture, boolean> = { single: false, "load-balanced": true };

function checkDns(p: Parsed, add: AddIssue): void {
  const zones = p.availabilityZones.length;
  if (ADDRESS_PER_ZONE[p.architecture] && zones > 1) {
    const why = `the NLB has ${zones} Elastic IPs (one per zone) and Twilio must be able to reach each of them by one name, or an impaired first zone fails new calls and in-dialog requests`;
    if (!p.dns) {
      add(
        "dns",
        `is required for a load-balanced environment in ${zones} zones: ${why}`,
        `add dns: { name: "sip.${p.name}.<your zone>", hostedZone: "<your public Route 53 zone>" }`,
      );
    } else if (p.dns.hostedZone === undefined && p.dns.hostedZoneId === undefined) {
      add(
        "dns.hostedZone",
        `is required in ${zones} zones: the stack must keep the A record of ${p.dns.name} listing every NLB Elastic IP (${why})`,
        `add hostedZone: "<the public Route 53 zone that holds ${p.dns.name}>" (or hostedZoneId)`,
      );
    }
  }
  if (!p.dns) return;
  const { name, hostedZone, hostedZoneId } = p.dns;
  if (hostedZone !== undefined && hostedZoneId !== undefined) {
    add(
      "dns.hostedZoneId",
      `names a zone as well as dns.hostedZone ("${hostedZone}"); the two could disagree`,
      "keep one: hostedZone (looked up by name) or hostedZoneId",
    );
  }
  if (hostedZone !== undefined && !isInZone(name, hostedZone)) {
    add(
      "dns.name",
      `is not inside dns.hostedZone ("${hostedZone}"), so Route 53 would refuse the record`,
      `use a name ending in ".${hostedZone}", or set hostedZone to the zone that holds ${name}`,
    );
  }
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, "");
}

function resolve(p: Parsed): EnvironmentConfig {
  const subnet = (slot: number) => cidrSubnet(p.vpcCidr, SUBNET_NEWBITS, slot);
  return {
    name: p.name,
    stackName: stackNameFor(p.name),
    region: p.region,
    availabilityZones: p.availabilityZones,
    architecture: p.architecture,
    vpcCidr: p.vpcCidr,
    publicSubnets: p.availabilityZones.map((az, i) => ({ availabilityZone: az, cidr: subnet(i) })),
    privateSubnets: p.availabilityZones.map((az, i) => ({
      availabilityZone: az,
      cidr: subnet(PRIVATE_SLOT_OFFSET + i),
    })),
    instanceType: p.instanceType,
    imageId: p.imageId ?? DEBIAN.latestImage,
    rootVolumeGb: p.rootVolumeGb,
    destinationDomain: p.destinationDomain,
    destinations: (p.destinations ?? [{ host: p.destinationDomain, enabled: true }])
      .filter((d) => d.enabled)
      .map((d) => (d.port ? `${d.host}:${d.port}` : d.host)),
    allowedSourceCidrs: [...TWILIO_SIGNALING_CIDRS, ...p.additionalSourceCidrs],
    sourceAccountSids: p.sourceAccountSids,
    sourceAuth: p.sourceAuth,
    sshCidr: p.sshCidr,
    tags: p.tags,
    logLevel: p.logLevel,
    stateBackend: p.stateBackend && {
      bucket: p.stateBackend.bucket,
      key: `${p.stateBackend.keyPrefix}/${p.name}/terraform.tfstate`,
      region: p.stateBackend.region ?? p.region,
    },
    sip: {
      ...p.sip,
      egressPort: p.sip.egressPort ?? defaultEgressPort(p.sip),
      sharedMemoryMb: sharedMemoryFor(p.sip.peakCallsPerSecond),
      privateMemoryMb: 16,
    },
    loadBalancing: LOAD_BALANCING[p.architecture](p),
    dns: p.dns,
    monitoring: p.monitoring,
    allowElasticIpDestroy: p.allowElasticIpDestroy,
    account: p.account,
  };
}

/** Each architecture's load balancing, if any (a new architecture does not compile until it says). */
const LOAD_BALANCING: Record<Architecture, (p: Parsed) => LoadBalancingSettings | undefined> = {
  single: () => undefined,
  "load-balanced": (p) => resolveLoadBalancing(p),
};

function resolveLoadBalancing(p: Parsed): LoadBalancingSettings {
  const a = autoscalingSchema.parse(p.autoscaling ?? {});
  return {
    natGateways: p.natGateways ?? DEFAULT_NAT_GATEWAYS,
    min: a.min,
    desired: a.desired ?? a.min,
    max: a.max,
    healthCheckGraceSeconds: a.healthCheckGraceSeconds,
  };
}

/**
 * Validates one environment's input and resolves it. Throws a ConfigError listing every
 * bad field (path, value, problem, fix); never returns a half-valid config.
 */
export function parseEnvironment(input: unknown): EnvironmentConfig {
  const nameValue = valueAt(input, ["name"]);
  const envName = typeof nameValue === "string" && nameValue ? nameValue : "(unnamed)";
  const issues: ConfigIssue[] = [];
  const add =
    (source: unknown): AddIssue =>
    (path, problem, fix) =>
      issues.push({ path, value: valueAt(source, pathKeys(path)), problem, fix: fix ?? hintFor(path) });

  const result = environmentSchema.safeParse(input);
  if (result.success) {
    for (const check of CHECKS) check.run(result.data, add(result.data));
    if (issues.length > 0) throw new ConfigError(envName, issues);
    return resolve(result.data);
  }

  // Some fields are bad. So that one pass shows everything, the checks still run on what did
  // parse: the top-level settings holding a bad field (or a misspelt key) are left out and
  // parsed again with their defaults, and a check that reads one of them is reported as
  // skipped instead of judging a default the operator never wrote.
  const invalid = new Set<string>();
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = formatPath([...issue.path, key]);
        issues.push({
          path,
          value: valueAt(input, [...issue.path, key]),
          problem: key in RETIRED ? RETIRED[key].problem : "is not a known setting",
          fix: key in RETIRED ? RETIRED[key].fix : "check the spelling against config/schema.ts",
        });
        invalid.add(String(issue.path[0] ?? key));
      }
      continue;
    }
    const path = formatPath(issue.path);
    issues.push({ path, value: valueAt(input, issue.path), problem: issue.message, fix: hintFor(path) });
    invalid.add(String(issue.path[0] ?? ""));
  }
  const rest = input !== null && typeof input === "object" ? { ...(input as Record<string, unknown>) } : {};
  for (const key of invalid) delete rest[key];
  const partial = environmentSchema.safeParse(rest);
  if (!partial.success) {
    // A required setting is among the bad ones: nothing sensible is left to check against.
    throw new ConfigError(envName, issues, [`every cross-field check (they need ${[...invalid].join(", ")})`]);
  }
  const skipped: string[] = [];
  for (const check of CHECKS) {
    const found: ConfigIssue[] = [];
    const read = new Set<string>();
    const watched = new Proxy(partial.data, {
      get(target, key, receiver) {
        if (typeof key === "string") read.add(key);
        return Reflect.get(target, key, receiver);
      },
    });
    check.run(watched, (path, problem, fix) =>
      found.push({ path, value: valueAt(partial.data, pathKeys(path)), problem, fix: fix ?? hintFor(path) }),
    );
    const needs = [...read].filter((key) => invalid.has(key));
    if (needs.length > 0) skipped.push(`${check.name} (needs ${needs.join(", ")})`);
    else issues.push(...found);
  }
  throw new ConfigError(envName, issues, skipped);
}

/** The checks that span fields (or go past one field's type), each by name. */
const CHECKS: readonly { readonly name: string; readonly run: (p: Parsed, add: AddIssue) => void }[] = [
  { name: "address ranges", run: checkCidrPolicy },
  { name: "zones", run: checkZones },
  { name: "ports and TLS", run: checkPorts },
  { name: "destinations", run: checkDestinations },
  { name: "tags", run: checkTags },
  { name: "architecture settings", run: checkArchitectureFields },
  { name: "ingress name", run: checkDns },
  { name: "SIP timers", run: checkTimers },
  { name: "account SIDs", run: checkAccountSids },
];

function pathKeys(path: string): PropertyKey[] {
  return path
    .split(/\.|\[(\d+)\]/)
    .filter((part) => part !== undefined && part !== "")
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/**
 * Parses several environments, all of them before throwing: one ConfigError (a
 * ConfigErrors when several environments are bad) lists every bad field of every
 * environment, and a name used twice names both sources (`sources[i]` is where `inputs[i]`
 * came from, e.g. its file; default: its position).
 */
export function parseEnvironments(inputs: readonly unknown[], sources?: readonly string[]): EnvironmentConfig[] {
  const where = (i: number) => sources?.[i] ?? `environment #${i + 1}`;
  const errors: ConfigError[] = [];
  const configs: EnvironmentConfig[] = [];
  inputs.forEach((input) => {
    try {
      configs.push(parseEnvironment(input));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
    }
  });
  const firstSource = new Map<string, number>();
  inputs.forEach((input, i) => {
    const name = valueAt(input, ["name"]);
    if (typeof name !== "string") return;
    const first = firstSource.get(name);
    if (first === undefined) {
      firstSource.set(name, i);
      return;
    }
    errors.push(
      new ConfigError(name, [
        {
          path: "name",
          value: name,
          problem: `is used by two environments: ${where(first)} and ${where(i)}`,
          fix: "give each environment its own name (it names the stack and its Terraform state)",
        },
      ]),
    );
  });
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
  return configs;
}

/**
 * What an environment allows that an operator should not leave in place unnoticed; synth
 * prints each line for every environment, every time.
 */
export function environmentWarnings(cfg: EnvironmentConfig): string[] {
  const warnings: string[] = [];
  if (cfg.sourceAccountSids === ANY_ACCOUNT) {
    warnings.push(
      `${cfg.name}: sourceAccountSids is "any": calls from every Twilio account are relayed (Twilio's gateways are shared by all its customers)`,
    );
  } else if (cfg.sourceAccountSids.includes(PLACEHOLDER_ACCOUNT_SID)) {
    warnings.push(
      `${cfg.name}: sourceAccountSids lists the placeholder ${PLACEHOLDER_ACCOUNT_SID}: no real call passes the account lock until you replace it with your source account's SID`,
    );
  }
  if (cfg.dns?.hostedZone !== undefined && isReservedDomain(cfg.dns.hostedZone)) {
    warnings.push(
      `${cfg.name}: dns.hostedZone is the placeholder "${cfg.dns.hostedZone}" (a reserved documentation domain, RFC 2606): a deploy stops at the hosted-zone lookup until you replace it (and dns.name) with your own public Route 53 zone`,
    );
  }
  return warnings;
}

/**
 * The longest a caller waits for the proxy's 408 when no destination ever rings: each
 * destination gets transactionTimeoutMs for a first reply, and a 100 Trying arriving just
 * before that buys it progressTimeoutMs more. One address is tried per destination name,
 * however many A records it has (use_dns_failover is off in kamailio.cfg).
 */
export function worstCaseTimeToFinalMs(cfg: EnvironmentConfig): number {
  return cfg.destinations.length * (cfg.sip.transactionTimeoutMs + cfg.sip.progressTimeoutMs);
}
