// The `fwx` dispatcher: every subcommand answers a mistyped option as a usage
// error (exit 2, no stack trace), whether or not it parses its own options
// defensively.
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { commands } from "../../src/cli/registry.js";
import { FWX_VERSION } from "../../src/version.js";

afterEach(() => vi.restoreAllMocks());

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  const code = await runCli(argv);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("fwx", () => {
  it.each(Object.keys(commands))("%s: an unknown option is a usage error naming the command", async (name) => {
    const { code, err } = await cli([name, "--no-such-option"]);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^fwx: ${name}: Unknown option '--no-such-option'$`, "m"));
    // Not node:util's advice about positionals, with its unpaired quote.
    expect(err).not.toContain("To specify a positional argument");
    expect(err).not.toMatch(/^fwx: internal error/m);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it.each(Object.keys(commands))("%s: an empty argument (an unset shell variable) is a usage error naming its position", async (name) => {
    const { code, err } = await cli([name, ""]);
    expect(code).toBe(2);
    expect(err).toBe(`fwx: ${name}: argument 1 is empty: an unset shell variable? run "fwx ${name} --help" for usage`);
    const value = await cli([name, "x", "--out", ""]);
    expect(value.err).toBe(`fwx: ${name}: argument 3 is empty (the value of --out): an unset shell variable? run "fwx ${name} --help" for usage`);
  });

  it("lists the commands without arguments (exit 2) and with --help (exit 0)", async () => {
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    for (const name of Object.keys(commands)) expect(bare.out).toContain(`  ${name}`);
    expect((await cli(["--help"])).code).toBe(0);
  });

  it("prints its version", async () => {
    expect(await cli(["--version"])).toEqual({ code: 0, out: FWX_VERSION, err: "" });
  });

  it("rejects an unknown command", async () => {
    const { code, err } = await cli(["frobnicate"]);
    expect(code).toBe(2);
    expect(err).toMatch(/^fwx: unknown command "frobnicate"/);
  });

  it("shows a command's help before running it", async () => {
    const { code, out } = await cli(["validate", "--help"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: fwx validate/);
  });
});
