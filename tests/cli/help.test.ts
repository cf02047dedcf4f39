// Every command's help has one shape, so a reader (or a script) finds the
// same parts in the same order:
//
//   usage: fwx <command> …        (further forms aligned under it)
//   <what it does>
//   options:
//   …                            (other sections: environment, credentials)
//   exit codes:                   one "  <code>  <meaning>" line per code, 0, 1 and 2 at least
//   example: / examples:          last, each line indented
import { describe, expect, it } from "vitest";
import { commands } from "../../src/cli/registry.js";

describe("help texts", () => {
  it.each(Object.keys(commands))("%s: usage, options, exit codes, example, in that order", async (name) => {
    const help = (await commands[name]!.load()).help;
    expect(help.split("\n")[0]).toMatch(new RegExp(`^usage: fwx ${name}\\b`));
    const at = (heading: RegExp) => {
      const m = heading.exec(help);
      expect(m, `${name}: no ${heading.source}`).not.toBeNull();
      return m!.index;
    };
    const options = at(/\n\noptions:\n/);
    const exits = at(/\n\nexit codes:\n/);
    const example = at(/\n\nexamples?:\n/);
    expect(options).toBeLessThan(exits);
    expect(exits).toBeLessThan(example);

    // One line per exit code, "  <code>  <meaning>", ascending; a parenthesised note may follow.
    const exitBlock = help.slice(exits).split("\n\n")[1]!.split("\n").slice(1);
    const codes = exitBlock.filter((l) => !/^\s+\(/.test(l)).map((l) => {
      expect(l, `${name}: exit code line`).toMatch(/^ {2}\d+ {2}\S/);
      return Number(/^\s+(\d+)/.exec(l)![1]);
    });
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
    expect(codes.slice(0, 3)).toEqual([0, 1, 2]);

    // The example section ends the text; every line of it is indented.
    const exampleLines = help.slice(example).split("\n").slice(3);
    expect(exampleLines.length).toBeGreaterThan(0);
    for (const l of exampleLines) expect(l, `${name}: example line`).toMatch(/^ {2}\S|^ {4,}\S/);
  });
});

describe("the field tools' exit codes", () => {
  // Only an install has a verdict to revert (3); a read or a signed command never exits with it, and a
  // read's help does not speak of packages the command never sends.
  const exitBlock = (help: string) => help.slice(help.indexOf("\n\nexit codes:\n")).split("\n\n")[1]!;
  it.each(["devices", "logs", "config", "rollback", "remove"])("%s lists only the codes it can exit with", async (name) => {
    const block = exitBlock((await commands[name]!.load()).help);
    expect(block).not.toMatch(/^ {2}3 {2}/m);
    expect(block).not.toMatch(/flash|package|update/);
  });
  it("flash lists the reverted install's 3", async () => {
    expect(exitBlock((await commands.flash!.load()).help)).toMatch(/^ {2}3 {2}the update was reverted or failed on the device$/m);
  });
});

describe("fwx fleet-sim's help", () => {
  it("shows device ids as fleet-sim makes them", async () => {
    const { simDeviceId } = await import("../../src/fleet/sim.js");
    const help = (await commands["fleet-sim"]!.load()).help;
    expect(help).toContain(`(--count 200: ${simDeviceId("sim-", 0, 200)} … ${simDeviceId("sim-", 199, 200)}; default sim-)`);
    expect(help).not.toMatch(/<p>0001/);
  });
});

describe("fwx agent's commands as shown", () => {
  // The agent will not start without its identity: an example that leaves out a required option fails as typed.
  const joined = (text: string) => text.replace(/\\\n\s*/g, " ");
  const required = (usage: string) => {
    const outside = usage.replace(/\[[^\]]*\]/g, " ");
    return [...new Set(outside.match(/--[a-z][a-z-]*/g) ?? [])];
  };
  it("the help's example and docs/agent.md's commands give every option the usage requires", async () => {
    const { readFileSync } = await import("node:fs");
    const help = (await commands.agent!.load()).help;
    const usage = help.slice(0, help.indexOf("\n\n"));
    const needed = required(usage);
    expect(needed).toEqual(expect.arrayContaining(["--device-id", "--state-dir", "--root", "--customer", "--group", "--device-key", "--device-cert"]));
    expect(needed).not.toContain("--board"); // the bundled demo board is the default
    const example = joined(help.slice(help.indexOf("\nexample:\n")));
    const docs = joined(readFileSync("docs/agent.md", "utf8"));
    const commandsShown = [...example.matchAll(/^\s*fwx agent (?!--help).*$/gm), ...docs.matchAll(/^\s*(?:ExecStart=\S*\/)?fwx agent --.*$/gm)].map((m) => m[0]);
    expect(commandsShown.length).toBeGreaterThanOrEqual(3);
    for (const c of commandsShown) for (const o of needed) expect(c, `${o} missing from: ${c.trim()}`).toContain(o);
  });
});

describe("help examples", () => {
  it.each(Object.keys(commands))("%s: every examples/ path it names exists in this checkout", async (name) => {
    const { existsSync } = await import("node:fs");
    const help = (await commands[name]!.load()).help;
    for (const m of help.matchAll(/\bexamples\/[A-Za-z0-9._/-]*[A-Za-z0-9_-]/g)) expect(existsSync(m[0]), `${name}: ${m[0]}`).toBe(true);
  });
});

describe("the command list", () => {
  it("shows each command's own summary, and fwx cert's names every certificate it issues", async () => {
    for (const [name, c] of Object.entries(commands)) expect(c.summary, name).toBe((await c.load()).summary);
    // It said "Issue and revoke integrator certificates" while fwx cert also issues operator and device
    // certificates, shows them and delivers revocation lists: a field tech looking for operators never found it.
    expect(commands.cert!.summary).toMatch(/operators/);
    expect(commands.cert!.summary).toMatch(/devices/);
    expect(commands.cert!.summary).toMatch(/revocation lists/);
  });
});
