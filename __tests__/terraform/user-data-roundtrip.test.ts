import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { environments } from "../../config/environments";
import { parseEnvironment } from "../../config/schema";
import { synthesizeToMemory } from "../../scripts/lib/stack-json";
import { terraform, terraformEnv } from "../../scripts/lib/terraform";
import { nodeSettingsFor } from "../../config/node-settings";
import { renderNodeUserData } from "../../templates/render";
import { requireTool } from "../tools/require-tool";

/**
 * The user-data passes through cdktf tokens, JSON, Terraform's template syntax and
 * base64gzip before an instance sees it. Let real Terraform evaluate the synthesized
 * expression (with the Elastic IP filled in) and compare the bytes with the template
 * rendered directly: any escaping slip (`${`, `%{`, quotes, backslashes) shows up here.
 */
describe("user-data as Terraform delivers it", () => {
  beforeAll(() => requireTool("terraform"));

  it("is byte for byte the rendered template for dev", () => {
    const cfg = parseEnvironment(environments[0]);
    const stack = synthesizeToMemory([environments[0]]).get(cfg.name)!;
    const template = Object.values(stack.resource!.aws_launch_template)[0];
    const sampleIp = "198.51.100.7";

    const dir = mkdtempSync(join(tmpdir(), "tf-userdata-"));
    try {
      const locals = Object.fromEntries(
        Object.entries(stack.locals ?? {}).map(([k, v]) => [
          k,
          typeof v === "string" ? v.replace(/\$\{aws_eip\.proxy_ingress\.public_ip\}/g, sampleIp) : v,
        ]),
      );
      writeFileSync(
        join(dir, "main.tf.json"),
        JSON.stringify({ locals, output: { user_data: { value: template.user_data } } }),
      );
      const env = terraformEnv();
      const apply = terraform(["apply", "-auto-approve", "-input=false", "-no-color"], dir, env);
      expect(apply.stderr).toBe("");
      const out = terraform(["output", "-raw", "user_data"], dir, env);
      const delivered = gunzipSync(Buffer.from(out.stdout, "base64")).toString("utf8");

      const expected = renderNodeUserData(nodeSettingsFor(cfg), sampleIp);
      expect(delivered).toBe(expected);
      expect(delivered).toContain('"${APT_OPTS[@]}"');
      expect(delivered).toContain('\\r\\n");');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});
