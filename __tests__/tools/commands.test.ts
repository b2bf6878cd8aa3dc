// Every command in package.json, run the way an operator would: `--help`, an option it does
// not know, no argument, an environment that does not exist, and an environment file that is
// broken. None may print a stack trace; usage errors exit 2, bad input exits 1. What each
// command accepts is read from its own --help, so a new command is covered without editing
// this file.
import { COMMANDS, invoke, type Outcome } from "./run-command";

jest.setTimeout(240000);

const noStackTrace = (o: Outcome) => expect(`${o.stdout}${o.stderr}`).not.toMatch(/^\s+at .+[:(]\d+/m);
const BROKEN = { SIP_PROXY_ENVIRONMENTS: "__tests__/fixtures/broken-environments.ts" };

describe.each(COMMANDS)("npm run $name", ({ name, program }) => {
  let help: Outcome;
  beforeAll(async () => {
    help = await invoke(program, ["--help"]);
  });
  // What the command accepts, from its own help.
  const namesEnvironment = () => /^usage: \S+ \S+ \S+ -- \[?<environment>/.test(help.stdout);
  const needsEnvironment = () => /^usage: \S+ \S+ \S+ -- <environment>/.test(help.stdout);
  const readsEnvironments = () => /^environments: /m.test(help.stdout);

  it("answers --help with usage and examples", () => {
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage: npm run ${name}\\b`));
    expect(help.stdout).toContain("examples:");
    expect(help.stdout).toContain(`npm run ${name}`);
  });

  it("refuses an option it does not know with one line and exit 2", async () => {
    const o = await invoke(program, ["--no-such-option"]);
    expect(o.code).toBe(2);
    expect(
      o.stderr
        .replace(/^npm warn .*\n/gm, "")
        .trim()
        .split("\n"),
    ).toHaveLength(1);
    noStackTrace(o);
  });

  it("refuses an environment that does not exist, or an argument it does not take, with exit 2", async () => {
    const o = await invoke(program, ["no-such-environment"]);
    expect(o.code).toBe(2);
    // A command that takes something else (a git revision) says what is wrong with it.
    const takesOther = /^usage: \S+ \S+ \S+ -- [[<]/.test(help.stdout) && !namesEnvironment();
    expect(o.stderr).toMatch(
      namesEnvironment()
        ? /unknown environment "no-such-environment"/
        : takesOther
          ? /"no-such-environment"/
          : /unexpected argument "no-such-environment"/,
    );
    noStackTrace(o);
  });

  it("asks for an environment when it needs one and none is given", async () => {
    if (!needsEnvironment()) return expect(needsEnvironment()).toBe(false);
    const o = await invoke(program, []);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/name an environment/);
    noStackTrace(o);
  });

  it("reports a broken environment file cleanly, exit 1", async () => {
    if (!readsEnvironments()) return expect(readsEnvironments()).toBe(false);
    const o = await invoke(program, namesEnvironment() ? ["dev"] : [], BROKEN);
    expect(o.code).toBe(1);
    expect(o.stderr).toContain('Environment "dev" has 1 invalid setting');
    noStackTrace(o);
  });
});
