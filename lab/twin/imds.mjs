// Instance metadata (IMDSv2) for the twin's drain scenarios, run inside an instance's
// namespace on 169.254.169.254:80 (`ip netns exec NS node lab/twin/imds.mjs STATE_FILE
// INSTANCE_ID REGION`). It answers what templates/drain.sh asks: a session token (PUT
// /latest/api/token), then, with that token, instance-id, placement/region and
// autoscaling/target-lifecycle-state, read from STATE_FILE at each request so the test can
// play Auto Scaling ("InService", then "Terminated"). Anything else is 404, as IMDS answers.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const [stateFile, instanceId, region] = process.argv.slice(2);
const TOKEN = "twin-imds-token";

createServer((req, res) => {
  if (req.method === "PUT" && req.url === "/latest/api/token") return res.end(TOKEN);
  if (req.headers["x-aws-ec2-metadata-token"] !== TOKEN) {
    res.statusCode = 401;
    return res.end();
  }
  const values = {
    "/latest/meta-data/instance-id": instanceId,
    "/latest/meta-data/placement/region": region,
    "/latest/meta-data/autoscaling/target-lifecycle-state": () => readFileSync(stateFile, "utf8").trim(),
  };
  const value = values[req.url];
  if (value === undefined) {
    res.statusCode = 404;
    return res.end();
  }
  res.end(typeof value === "function" ? value() : value);
}).listen(80, "169.254.169.254", () => process.stdout.write('{"event":"ready"}\n'));
