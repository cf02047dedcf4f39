// fwx ram: measures a project's RAM need on the simulator and, with --write,
// sets fwx.json's ramBudget from it (issue 14). On a copy of an example, each
// command runCli in this process under a time limit (tests/support/cli-in-process.ts).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withRamBudget } from "../../src/commands/ram.js";
import { budgetFor } from "../../src/build/ram-need.js";
import { runCliInProcess } from "../support/cli-in-process.js";

const TIMEOUT_MS = 120_000;
let dir: string;

// Run from inside the project: a project given as a path that climbs out of the
// working directory (../../tmp/x) does not resolve "fwx" (a build issue, not this command's).
const fwx = (args: string[], cwd = dir) => runCliInProcess(args, { cwd, timeoutMs: TIMEOUT_MS });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fwx-ram-"));
  for (const f of ["fwx.json", "trace.csv", "assembly"]) cpSync(resolve("examples/cold-chain-alarm", f), join(dir, f), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("withRamBudget", () => {
  it("replaces a text or number value in place and leaves the rest of the file as it is", () => {
    expect(withRamBudget('{\n  "id": "x",\n  "ramBudget": "64k"\n}\n', 6144, "f")).toBe('{\n  "id": "x",\n  "ramBudget": 6144\n}\n');
    expect(withRamBudget('{ "ramBudget": 100, "id": "x" }', 6144, "f")).toBe('{ "ramBudget": 6144, "id": "x" }');
  });
  it("adds the field when there is none", () => {
    expect(JSON.parse(withRamBudget('{\n  "id": "x"\n}\n', 6144, "f"))).toEqual({ id: "x", ramBudget: 6144 });
  });
});

describe("budgetFor", () => {
  it("is need x margin rounded up to 16 bytes", () => {
    expect(budgetFor(5116)).toBe(6144);
    expect(budgetFor(1000, 1)).toBe(1008);
  });
});

describe("fwx ram", () => {
  it("measures static data plus the heap's high-water mark and writes need x 1.2 into fwx.json", async () => {
    const r = await fwx(["ram", ".", "--write", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.seconds).toBe(7200); // the trace's last row
    expect(out.staticBytes).toBeGreaterThan(1000);
    expect(out.heapBytes).toBeGreaterThan(0); // fwx_init allocates
    expect(out.needBytes).toBe(out.staticBytes + out.heapBytes + out.stackBytes);
    expect(out.budgetBytes).toBe(budgetFor(out.needBytes));
    expect(JSON.parse(readFileSync(join(dir, "fwx.json"), "utf8")).ramBudget).toBe(out.budgetBytes);
    // The example runs within the budget it was given (the checks would fault it otherwise).
    const run = await fwx(["run", ".", "--trace", "trace.csv", "--duration", "2h"]);
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stdout + run.stderr).not.toMatch(/memory-limit|out-of-bounds/);
  });

  it("a project that does not compile: says where, and leaves fwx.json as it was", async () => {
    const broken = join(dir, "broken");
    mkdirSync(join(broken, "assembly"), { recursive: true });
    const manifest = JSON.stringify({ id: "com.example.broken", version: "1.0.0", ramBudget: "64k" });
    writeFileSync(join(broken, "fwx.json"), manifest);
    writeFileSync(join(broken, "assembly", "index.ts"), "export function fwx_init(): i32 {\n  return 0 +;\n}\n");
    const r = await fwx(["ram", ".", "--write"], broken);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^fwx: ram: \.: the build failed at compile: assembly\/index\.ts:2:\d+: error AS\d+: /);
    expect(readFileSync(join(broken, "fwx.json"), "utf8")).toBe(manifest);
  });

  it("--seconds is seconds, or a time with its unit, as every option named in seconds", async () => {
    const r = await fwx(["ram", ".", "--seconds", "2m", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).seconds).toBe(120);
    const bare = await fwx(["ram", ".", "--seconds", "90", "--json"]);
    expect(bare.status, bare.stderr).toBe(0);
    expect(JSON.parse(bare.stdout).seconds).toBe(90);
  });

  it("runs the module with the fuel its package will have: one that needs more is not measured as if it ran", async () => {
    const hungry = join(dir, "hungry");
    mkdirSync(join(hungry, "assembly"), { recursive: true });
    writeFileSync(join(hungry, "fwx.json"), JSON.stringify({ id: "com.example.hungry", version: "1.0.0", capabilities: { timers: 1 } }));
    // Millions of instructions a callback: within the agent's own 10,000,000, past fwx pack's 1,000,000.
    writeFileSync(join(hungry, "assembly", "index.ts"), [
      'import { Log, Status, Timer } from "fwx";',
      "let sink: u32 = 0;",
      'export function fwx_init(): i32 { Log.info("hungry"); return Timer.every(1, 1000) == Status.Ok ? 0 : 1; }',
      "export function fwx_on_timer(id: u32): void { for (let i: u32 = 0; i < 300_000; i++) sink += i ^ id; }",
      "",
    ].join("\n"));
    const r = await fwx(["ram", ".", "--seconds", "3"], hungry);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain("the module faulted during the RAM run, so its need is unknown: fuel-exhausted");
  });

  it("refuses a margin below 1", async () => {
    const r = await fwx(["ram", ".", "--margin", "0.9"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--margin must be a number ≥ 1");
  });
});
