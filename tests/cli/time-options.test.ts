// Time options of the field tools and the agent: README "Errors and exit
// codes" says times are written with a unit (90s, 10m, 500ms). Options named
// in seconds (--timeout <s>, --health-seconds, --device-timeout, fwx ram's --seconds) keep a bare
// number as seconds and take the same units; a speed-up is written 10 or 10x
// (as `fwx run --speed 10x`); anything else is refused naming the option.
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/command.js";
import { parseSeconds, parseSpeedFactor } from "../../src/ota/cli-support.js";
import { runCliInProcess } from "../support/cli-in-process.js";

describe("time options named in seconds", () => {
  it("take seconds, or a time with its unit", () => {
    expect(parseSeconds("30", "--timeout")).toBe(30);
    expect(parseSeconds("2.5", "--timeout")).toBe(2.5);
    expect(parseSeconds("500ms", "--timeout")).toBe(0.5);
    expect(parseSeconds("30s", "--timeout")).toBe(30);
    expect(parseSeconds("2m", "--device-timeout")).toBe(120);
    expect(parseSeconds("1h", "--health-seconds")).toBe(3600);
    expect(parseSeconds(undefined, "--timeout")).toBeUndefined();
  });
  it("refuse anything else, naming the option and the value", () => {
    for (const bad of ["0", "0s", "-5", "-5s", "10d", "abc", "", "1e3", "Infinity"]) {
      expect(() => parseSeconds(bad, "--timeout"), bad).toThrow(UsageError);
      expect(() => parseSeconds(bad, "--timeout"), bad).toThrow(`--timeout "${bad}": expected a positive time: seconds (30) or with a unit (500ms, 30s, 2m, 1h)`);
    }
  });
  it("a speed-up is a factor, with or without x; its error speaks of a factor, not of seconds", () => {
    expect(parseSpeedFactor("10", "--speed")).toBe(10);
    expect(parseSpeedFactor("10x", "--speed")).toBe(10);
    expect(parseSpeedFactor("0.5x", "--speed")).toBe(0.5);
    for (const bad of ["0", "fast", "10s", "-2x"]) expect(() => parseSpeedFactor(bad, "--speed"), bad).toThrow(`--speed "${bad}": expected a positive speed-up factor, like 10 or 10x`);
  });
});

describe("through the CLI (runCli in this process: tests/support/cli-in-process.ts)", () => {
  const fwx = (...args: string[]) => runCliInProcess(args, { cwd: tmpdir(), timeoutMs: 30_000 });
  it("the same words in every command that has such an option", async () => {
    const cases: [string[], string][] = [
      [["logs", "gw-1", "--timeout", "soon"], 'fwx: logs: --timeout "soon": expected a positive time'],
      [["flash", "x.fwx", "--device", "gw-1", "--timeout", "10d"], 'fwx: flash: --timeout "10d": expected a positive time'],
      [["fleet", "--device-timeout", "2d"], 'fwx: fleet: --device-timeout "2d": expected a positive time'],
      [["agent", "--device-id", "gw-1", "--root", "r.pub", "--customer", "c", "--group", "g", "--state-dir", "s", "--health-seconds", "ten"], 'fwx: agent: --health-seconds "ten": expected a positive time'],
      [["agent", "--device-id", "gw-1", "--root", "r.pub", "--customer", "c", "--group", "g", "--state-dir", "s", "--speed", "fast"], 'fwx: agent: --speed "fast": expected a positive speed-up factor'],
      [["fleet-sim", "--count", "1", "--root-key", "r.key", "--speed", "fast"], 'fwx: fleet-sim: --speed "fast": expected a positive speed-up factor'],
      [["ram", ".", "--seconds", "2d"], 'fwx: ram: --seconds "2d": expected a positive time'],
    ];
    for (const [args, says] of cases) {
      const r = await fwx(...args);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(says);
    }
  });
});
