// The boot test's harness: runs a rendered user-data script, unedited, as root in a copy of the
// Debian 13 EC2 image root, inside a network namespace that holds the instance's whole world
// (IMDSv2, a Debian mirror with the packages the script installs, the AWS download and API
// endpoints) and nothing else: no route leaves it. Failures can be injected per service.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONTROL_SOCKET } from "../../templates/render";
import { currentRoot, runCommand } from "../debian-root";
import { selfSigned } from "../tls";
import type { StubConfig } from "./aws-stubs";

const HERE = __dirname;

/** The instance as IMDS describes it. */
export const BOOT_INSTANCE = {
  privateIp: "10.0.1.23",
  region: "us-east-1",
  instanceId: "i-0b00757e57000000a",
  amiId: "ami-0deb13000000000aa",
  role: "sip-proxy-boot-instance",
} as const;

const MIRROR_IP = "10.0.9.1";
const AWS_IP = "10.0.9.2";
const IMDS_IP = "169.254.169.254";

/** The AWS endpoints the user-data may call, all answered inside the namespace. */
export const AWS_URLS = {
  ssmAgent: `https://s3.${BOOT_INSTANCE.region}.amazonaws.com/amazon-ssm-${BOOT_INSTANCE.region}/latest/debian_amd64/amazon-ssm-agent.deb`,
  cloudwatchAgent: `https://amazoncloudwatch-agent-${BOOT_INSTANCE.region}.s3.${BOOT_INSTANCE.region}.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb`,
  ec2: `https://ec2.${BOOT_INSTANCE.region}.amazonaws.com/`,
  ssm: `https://ssm.${BOOT_INSTANCE.region}.amazonaws.com/`,
} as const;

/** What exists in the instance's AWS account besides the stand-ins' downloads. */
export interface BootWorld {
  /** SSM parameters (name → value) the role may read. @default none */
  readonly ssmParameters?: Readonly<Record<string, string>>;
}

export interface BootFaults {
  /** IMDS resets this many connections first (it is not ready yet). */
  readonly imdsResets?: number;
  /** The mirror resets this many connections first (unreachable at first). */
  readonly mirrorResets?: number;
  /** AWS URLs answered 503 this many times first, or always. */
  readonly awsFailures?: Partial<Record<keyof typeof AWS_URLS, number | "always">>;
}

export interface RequestRecord {
  readonly t: number;
  readonly service: string;
  readonly method?: string;
  readonly host?: string;
  readonly url?: string;
  readonly status?: number;
  readonly reset?: boolean;
  readonly body?: string;
  readonly signed?: boolean;
  readonly target?: string;
}

export interface UnitRecord {
  readonly unit: string;
  readonly pid: number;
  readonly running: boolean;
  readonly commandLine: string;
}

export interface BootResult {
  readonly exitCode: number;
  /** What the script printed (cloud-init puts this on the console log). */
  readonly console: string;
  readonly seconds: number;
  readonly requests: readonly RequestRecord[];
  /** Every systemctl call, as "rc=N systemctl ARGS". */
  readonly systemctlCalls: readonly string[];
  readonly units: readonly UnitRecord[];
  /** `ss -lntu` in the namespace after the script ended. */
  readonly sockets: string;
  /** The value the script left in net.core.rmem_max (a stand-in file, not the host's). */
  readonly rmemMax: number;
  /** One of EVIDENCE_FILES as the boot left it (undefined when the boot did not write it). */
  file(path: (typeof EVIDENCE_FILES)[number]): string | undefined;
  /** Permission bits and group name of one of EVIDENCE_FILES (undefined when absent). */
  access(path: (typeof EVIDENCE_FILES)[number]): { readonly mode: number; readonly group: string } | undefined;
  /** One of RUNTIME_PATHS as the running instance had it (undefined when it did not exist). */
  runtime(path: (typeof RUNTIME_PATHS)[number]): RuntimeFile | undefined;
  /** What firing the instance's timers once printed (`firing <timer>` lines, failures). */
  readonly timers: string;
}

export interface RuntimeFile {
  readonly owner: string;
  readonly group: string;
  /** Permission bits, e.g. 0o660. */
  readonly mode: number;
  /** As stat(1) names it: "socket", "regular file", "directory", ... */
  readonly type: string;
}

/** Files under /run (gone with the instance's copy) whose owner, group and mode a test may check. */
export const RUNTIME_PATHS = [CONTROL_SOCKET] as const;

/** Files of the instance a boot test may look at, read before the copy is thrown away. */
export const EVIDENCE_FILES = [
  "var/lib/sip-proxy/setup-complete",
  "var/log/sip-proxy-setup.log",
  "var/log/kamailio.log",
  "etc/kamailio/kamailio.cfg",
  "etc/systemd/system/kamailio.service.d/sip-proxy.conf",
  "etc/systemd/journald.conf.d/60-sip-proxy.conf",
  "etc/logrotate.d/kamailio-sip-proxy",
  "opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json",
  "var/log/amazon-cloudwatch-agent-ctl.calls",
  "var/log/sleep-standin.log",
  "etc/kamailio/source-auth.cfg",
  "etc/systemd/system/sip-proxy-stats.service",
  "etc/systemd/system/sip-proxy-stats.timer",
] as const;

/**
 * Stand-ins for AWS's agent packages (nothing real can be downloaded here): each installs a
 * systemd unit or a control command that records how it was called, at AWS's paths.
 */
function makeAgentPackages(dir: string): { ssm: string; cloudwatch: string } {
  const build = (name: string, files: Record<string, { text: string; mode: number }>) => {
    const tree = join(dir, name);
    mkdirSync(join(tree, "DEBIAN"), { recursive: true });
    writeFileSync(
      join(tree, "DEBIAN/control"),
      `Package: ${name}\nVersion: 1.0-boottest\nArchitecture: amd64\nMaintainer: boot test <boot@test>\nDescription: stand-in for AWS's ${name}\n`,
    );
    for (const [path, { text, mode }] of Object.entries(files)) {
      mkdirSync(join(tree, path, ".."), { recursive: true });
      writeFileSync(join(tree, path), text, { mode });
    }
    const deb = join(dir, `${name}.deb`);
    runCommand("dpkg-deb", ["--root-owner-group", "--build", tree, deb]);
    return deb;
  };
  const ssm = build("amazon-ssm-agent", {
    "usr/bin/amazon-ssm-agent": { text: "#!/bin/sh\nexec /usr/bin/sleep infinity\n", mode: 0o755 },
    "lib/systemd/system/amazon-ssm-agent.service": {
      text: "[Unit]\nDescription=amazon-ssm-agent (boot test stand-in)\n[Service]\nType=simple\nExecStart=/usr/bin/amazon-ssm-agent\n[Install]\nWantedBy=multi-user.target\n",
      mode: 0o644,
    },
  });
  const cloudwatch = build("amazon-cloudwatch-agent", {
    "opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl": {
      text: '#!/bin/sh\necho "$*" >> /var/log/amazon-cloudwatch-agent-ctl.calls\n',
      mode: 0o755,
    },
    "opt/aws/amazon-cloudwatch-agent/etc/README": { text: "boot test stand-in\n", mode: 0o644 },
  });
  return { ssm, cloudwatch };
}

let nextNamespace = 0;

/**
 * Boots `userData` in a fresh copy of the EC2 image root and returns what happened. The
 * namespace, servers and mounts are torn down before it returns, also on failure.
 */
export async function bootUserData(
  userData: string,
  faults: BootFaults = {},
  world: BootWorld = {},
): Promise<BootResult> {
  if (process.getuid?.() !== 0) throw new Error("the boot test needs root (network namespace, chroot, mounts)");
  const image = currentRoot("ec2-image");
  const repo = `${image}.extras/repo`;
  if (!existsSync(join(repo, "Packages"))) throw new Error(`${repo} has no Packages index: run \`npm run roots\``);

  const work = mkdtempSync(join(tmpdir(), "boot-"));
  const namespace = `sipboot-${process.pid}-${nextNamespace++}`;
  let stubs: ChildProcess | undefined;
  try {
    // One self-signed certificate for every AWS name, added to the image copy's trusted CAs.
    const hostNames = [...new Set(Object.values(AWS_URLS).map((url) => new URL(url).hostname))];
    const certs = selfSigned(work, "aws-stand-ins", hostNames.map((h) => `DNS:${h}`).join(","));
    const agents = makeAgentPackages(work);
    writeFileSync(join(work, "user-data.sh"), userData, { mode: 0o700 });
    writeFileSync(join(work, "runtime-paths"), `${RUNTIME_PATHS.join("\n")}\n`);
    writeFileSync(join(work, "ca.crt"), readFileSync(certs.cert));
    writeFileSync(
      join(work, "hosts"),
      `${MIRROR_IP} deb.debian.org\n${hostNames.map((h) => `${AWS_IP} ${h}`).join("\n")}\n`,
    );
    // The image's own sources name deb.debian.org; the test repository is unsigned, so trusted.
    writeFileSync(
      join(work, "debian.sources"),
      "Types: deb\nURIs: http://deb.debian.org/debian/\nSuites: ./\nTrusted: yes\n",
    );

    runCommand("ip", ["netns", "add", namespace]);
    const inNs = (...args: string[]) => runCommand("ip", ["-n", namespace, ...args]);
    // Every address on the namespace's loopback, and no route: nothing can leave.
    inNs("link", "set", "lo", "up");
    for (const address of [BOOT_INSTANCE.privateIp, IMDS_IP, MIRROR_IP, AWS_IP]) {
      inNs("addr", "add", `${address}/32`, "dev", "lo");
    }

    const requestLog = join(work, "requests.jsonl");
    writeFileSync(requestLog, "");
    const stubConfig: StubConfig = {
      requestLog,
      imds: {
        address: IMDS_IP,
        resetFirst: faults.imdsResets,
        metadata: {
          "local-ipv4": BOOT_INSTANCE.privateIp,
          "placement/region": BOOT_INSTANCE.region,
          "instance-id": BOOT_INSTANCE.instanceId,
          "ami-id": BOOT_INSTANCE.amiId,
          "iam/security-credentials/": BOOT_INSTANCE.role,
          // Pretty-printed, one field a line, as IMDS answers.
          [`iam/security-credentials/${BOOT_INSTANCE.role}`]: JSON.stringify(
            {
              Code: "Success",
              AccessKeyId: "ASIABOOTTEST00000000",
              SecretAccessKey: "boot-test-secret",
              Token: "boot-test-session-token",
              Expiration: "2099-01-01T00:00:00Z",
            },
            null,
            2,
          ),
        },
      },
      mirror: { address: MIRROR_IP, root: repo, resetFirst: faults.mirrorResets },
      aws: {
        address: AWS_IP,
        certificate: certs.cert,
        privateKey: certs.key,
        downloads: { [AWS_URLS.ssmAgent]: agents.ssm, [AWS_URLS.cloudwatchAgent]: agents.cloudwatch },
        parameters: { ...world.ssmParameters },
        failures: Object.fromEntries(
          Object.entries(faults.awsFailures ?? {}).map(([name, count]) => [
            AWS_URLS[name as keyof typeof AWS_URLS],
            count!,
          ]),
        ),
      },
    };
    const configFile = join(work, "stubs.json");
    writeFileSync(configFile, JSON.stringify(stubConfig));
    stubs = spawn(
      "ip",
      ["netns", "exec", namespace, process.execPath, "--import", "tsx", join(HERE, "aws-stubs.ts"), configFile],
      { stdio: ["ignore", "pipe", "pipe"], cwd: join(HERE, "..", "..") },
    );
    await new Promise<void>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`AWS stand-ins did not start:\n${output}`)), 20000);
      stubs!.stdout!.on("data", (d: Buffer) => {
        output += d.toString();
        if (output.includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      stubs!.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      stubs!.once("exit", (code) => reject(new Error(`AWS stand-ins exited with ${code}:\n${output}`)));
    });

    const run = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        namespace,
        "unshare",
        "--mount",
        "--propagation",
        "private",
        join(HERE, "run-in-image.sh"),
        image,
        work,
      ],
      { encoding: "utf8", timeout: 300000 },
    );
    if (run.status !== 0) throw new Error(`the boot runner failed (${run.status}):\n${run.stdout}${run.stderr}`);

    const upper = join(work, "upper");
    const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined);
    const evidence = new Map(EVIDENCE_FILES.map((path) => [path, read(join(upper, path))]));
    const groups = new Map(
      (read(join(upper, "etc/group")) ?? read(join(image, "etc/group")) ?? "")
        .split("\n")
        .map((line) => line.split(":"))
        .map(([name, , gid]) => [Number(gid), name] as const),
    );
    const access = new Map(
      EVIDENCE_FILES.filter((path) => existsSync(join(upper, path))).map((path) => {
        const stat = statSync(join(upper, path));
        return [path, { mode: stat.mode & 0o7777, group: groups.get(stat.gid) ?? String(stat.gid) }] as const;
      }),
    );
    const runtime = new Map(
      readFileSync(join(work, "runtime-stat.txt"), "utf8")
        .split("\n")
        .map((line) => /^(\S+) (\S+) (\S+) ([0-7]+) (.+)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map(([, path, owner, group, mode, type]) => [path, { owner, group, mode: parseInt(mode, 8), type }] as const),
    );
    const [started, ended] = readFileSync(join(work, "timing"), "utf8").trim().split(" ").map(Number);
    return {
      exitCode: Number(readFileSync(join(work, "exit-code"), "utf8")),
      console: readFileSync(join(work, "console.log"), "utf8"),
      seconds: ended - started,
      requests: readFileSync(requestLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RequestRecord),
      systemctlCalls: (read(join(upper, "var/log/systemctl-standin.log")) ?? "")
        .split("\n")
        .filter(Boolean)
        .map((line) => line.replace(/^\S+ /, "")),
      units: (read(join(work, "units.tsv")) ?? "")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [unit, pid, state, commandLine] = line.split("\t");
          return { unit, pid: Number(pid), running: state === "running", commandLine: commandLine.trim() };
        }),
      sockets: readFileSync(join(work, "sockets.txt"), "utf8"),
      rmemMax: Number(readFileSync(join(work, "sysctl-rmem_max.after"), "utf8")),
      file: (path) => evidence.get(path),
      access: (path) => access.get(path),
      runtime: (path) => runtime.get(path),
      timers: readFileSync(join(work, "timers.log"), "utf8"),
    };
  } finally {
    stubs?.kill("SIGKILL");
    spawnSync("ip", ["netns", "delete", namespace]);
    // SIP_PROXY_KEEP_BOOT=1 keeps the instance's files (upper/) and the runner's logs to debug.
    if (process.env.SIP_PROXY_KEEP_BOOT === "1") console.log(`boot test: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}
