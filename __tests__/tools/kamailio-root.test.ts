// Tested = deployed: every Kamailio the suite starts is Debian 13's package from the test
// root, of the series the user-data insists on.
import { readlinkSync } from "node:fs";
import { environments } from "../../config/environments";
import { KAMAILIO_SERIES } from "../../config/platform";
import { parseEnvironment } from "../../config/schema";
import { DEFAULT_LAB_ADDRESSES, labKamailioConfig } from "../../lab/config";
import { manifestOf } from "../../lab/debian-root";
import { startKamailio } from "../../lab/kamailio";
import { kamailioVersionLine } from "../../lab/roots";
import { freePort } from "../../lab/sockets";
import { requireKamailioRoot } from "./require-tool";

describe("the Kamailio the tests run", () => {
  let root: string;
  beforeAll(() => {
    root = requireKamailioRoot();
  });

  it(`reports ${KAMAILIO_SERIES}.x`, () => {
    expect(kamailioVersionLine()).toMatch(
      new RegExp(`^version: kamailio ${KAMAILIO_SERIES.replace(".", "\\.")}\\.\\d+ `),
    );
  });

  it("is Debian 13's package, recorded in the root's manifest", () => {
    const installed = manifestOf(root).installed;
    expect(installed.kamailio).toMatch(new RegExp(`^${KAMAILIO_SERIES.replace(".", "\\.")}\\.\\d+-.*deb13`));
    expect(installed["kamailio-tls-modules"]).toBe(installed.kamailio);
  });

  it("runs inside the root: a started instance's filesystem root is the Debian 13 tree", async () => {
    const cfg = parseEnvironment(environments.find((e) => e.name === "dev"));
    const listen = { host: "127.0.0.1", port: await freePort() };
    const kamailio = await startKamailio(labKamailioConfig(cfg, { ...DEFAULT_LAB_ADDRESSES, listen }), listen);
    try {
      expect(readlinkSync(`/proc/${kamailio.pid}/root`)).toBe(root);
      expect(readlinkSync(`/proc/${kamailio.pid}/exe`)).toBe(`${root}/usr/sbin/kamailio`);
    } finally {
      await kamailio.stop();
    }
  });
});
