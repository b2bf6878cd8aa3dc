// The outside world of a booting instance, for the boot test, run inside its network
// namespace: IMDSv2 on 169.254.169.254, a Debian mirror serving a local repository, and
// HTTPS stand-ins for the AWS downloads and APIs the user-data calls. Hand-written because
// nothing real can run here; each answers only what the user-data needs, records every
// request, and can be told to fail the first N calls.
//
// usage: node --import tsx lab/boot/aws-stubs.ts CONFIG.json   (prints "ready" when listening)
import { createReadStream, existsSync, readFileSync, statSync, appendFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { join, normalize } from "node:path";

export interface StubConfig {
  readonly requestLog: string;
  readonly imds: {
    readonly address: string;
    /** Paths under /latest/meta-data/ and their values. */
    readonly metadata: Record<string, string>;
    /** Reset this many connections before answering (an IMDS not ready yet). @default 0 */
    readonly resetFirst?: number;
  };
  readonly mirror: {
    readonly address: string;
    /** Folder served as http://<mirror>/debian/. */
    readonly root: string;
    /** Reset this many connections first (an unreachable mirror). @default 0 */
    readonly resetFirst?: number;
  };
  readonly aws: {
    readonly address: string;
    readonly certificate: string;
    readonly privateKey: string;
    /** "https://host/path" → local file. */
    readonly downloads: Record<string, string>;
    /** "https://host/path" → how many times to answer 503 before serving it ("always": never). */
    readonly failures?: Record<string, number | "always">;
    /** SSM parameters GetParameter answers (name → value); any other name is ParameterNotFound. */
    readonly parameters?: Record<string, string>;
  };
}

const config = JSON.parse(readFileSync(process.argv[2], "utf8")) as StubConfig;

function record(service: string, req: IncomingMessage, status: number): void {
  const entry = { t: Date.now(), service, method: req.method, host: req.headers.host, url: req.url, status };
  appendFileSync(config.requestLog, `${JSON.stringify(entry)}\n`);
}

function resetting(count: number, service: string) {
  let remaining = count;
  return (socket: Socket) => {
    if (remaining > 0) {
      remaining -= 1;
      appendFileSync(config.requestLog, `${JSON.stringify({ t: Date.now(), service, reset: true })}\n`);
      socket.resetAndDestroy();
    }
  };
}

function reply(res: ServerResponse, status: number, body: string, type = "text/plain"): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

// IMDSv2: a token from PUT /latest/api/token, required on every metadata read.
const tokens = new Set<string>();
const imds = createHttpServer((req, res) => {
  const url = req.url ?? "";
  if (req.method === "PUT" && url === "/latest/api/token") {
    if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"])
      return void (record("imds", req, 400), reply(res, 400, ""));
    const token = `token-${tokens.size + 1}-${Date.now()}`;
    tokens.add(token);
    record("imds", req, 200);
    return reply(res, 200, token);
  }
  if (!tokens.has(String(req.headers["x-aws-ec2-metadata-token"] ?? ""))) {
    record("imds", req, 401);
    return reply(res, 401, "");
  }
  const value = config.imds.metadata[url.replace(/^\/latest\/meta-data\//, "")];
  record("imds", req, value === undefined ? 404 : 200);
  return value === undefined ? reply(res, 404, "") : reply(res, 200, value);
});
imds.on("connection", resetting(config.imds.resetFirst ?? 0, "imds"));

function serveFile(service: string, req: IncomingMessage, res: ServerResponse, file: string | undefined): void {
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    record(service, req, 404);
    return reply(res, 404, "not found");
  }
  record(service, req, 200);
  res.writeHead(200, { "content-length": statSync(file).size, "content-type": "application/octet-stream" });
  if (req.method === "HEAD") return void res.end();
  createReadStream(file).pipe(res);
}

const mirror = createHttpServer((req, res) => {
  const path = normalize(decodeURIComponent((req.url ?? "/").split("?")[0]));
  if (!path.startsWith("/debian/")) return void (record("mirror", req, 404), reply(res, 404, ""));
  serveFile("mirror", req, res, join(config.mirror.root, path.slice("/debian/".length)));
});
mirror.on("connection", resetting(config.mirror.resetFirst ?? 0, "mirror"));

const failuresLeft = new Map(Object.entries(config.aws.failures ?? {}));
const aws = createHttpsServer(
  { cert: readFileSync(config.aws.certificate), key: readFileSync(config.aws.privateKey) },
  (req, res) => {
    const url = `https://${req.headers.host}${(req.url ?? "/").split("?")[0]}`;
    const left = failuresLeft.get(url);
    if (left === "always" || (typeof left === "number" && left > 0)) {
      if (typeof left === "number") failuresLeft.set(url, left - 1);
      record("aws", req, 503);
      return reply(res, 503, "SlowDown");
    }
    // EC2 Query API (the instance tags itself): accept signed CreateTags only.
    if (/^https:\/\/ec2\.[a-z0-9-]+\.amazonaws\.com\/$/.test(url)) {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const signed = String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ");
        const ok = signed && new URLSearchParams(body).get("Action") === "CreateTags";
        appendFileSync(config.requestLog, `${JSON.stringify({ t: Date.now(), service: "ec2", body, signed })}\n`);
        record("aws", req, ok ? 200 : 400);
        reply(
          res,
          ok ? 200 : 400,
          ok ? "<CreateTagsResponse><return>true</return></CreateTagsResponse>" : "",
          "text/xml",
        );
      });
      return;
    }
    // SSM JSON API (the digest password): GetParameter, signed, decrypted, of a known name.
    if (/^https:\/\/ssm\.[a-z0-9-]+\.amazonaws\.com\/$/.test(url)) {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const signed = String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ");
        const target = String(req.headers["x-amz-target"] ?? "");
        const input = JSON.parse(body || "{}") as { Name?: string; WithDecryption?: boolean };
        const value = input.Name === undefined ? undefined : config.aws.parameters?.[input.Name];
        const ok = signed && target === "AmazonSSM.GetParameter" && value !== undefined;
        appendFileSync(
          config.requestLog,
          `${JSON.stringify({ t: Date.now(), service: "ssm", body, signed, target })}\n`,
        );
        record("aws", req, ok ? 200 : 400);
        const answer = ok
          ? {
              Parameter: {
                Name: input.Name,
                Type: "SecureString",
                Value: input.WithDecryption ? value : "AQICAH-encrypted",
                Version: 1,
              },
            }
          : { __type: "ParameterNotFound", message: "" };
        reply(res, ok ? 200 : 400, JSON.stringify(answer), "application/x-amz-json-1.1");
      });
      return;
    }
    serveFile("aws", req, res, config.aws.downloads[url]);
  },
);

Promise.all([
  new Promise<void>((resolve) => imds.listen(80, config.imds.address, resolve)),
  new Promise<void>((resolve) => mirror.listen(80, config.mirror.address, resolve)),
  new Promise<void>((resolve) => aws.listen(443, config.aws.address, resolve)),
]).then(() => console.log("ready"));
