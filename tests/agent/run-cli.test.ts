// `fwx run` with a misbehaving module beside a good one, each run under a time
// limit (a hang is a failure): a fault at any stage the binary can reach ends
// that module (exit 3, the good module runs to the end), a module that cannot
// be prepared is refused (exit 2), and the host never dies with an internal
// error (exit 1) because of a module.
//
// The runs are runCli in this process (tests/support/cli-in-process.ts), where
// an exception a module's fault let escape fails the run as surely as in a
// process of its own; one fault runs through the bundled CLI in a child process
// too, for the exit code a script sees.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { misbehaveOnTimer, tickerModule } from "../fixtures/hostile/modules.js";
import { op as hop } from "../fixtures/hostile/builder.js";
import { I32, WasmBuilder, op } from "../fixtures/wasm-builder.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";
import { runCliInProcess } from "../support/cli-in-process.js";

const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "fwx-run-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function module(extend: (b: WasmBuilder) => void, init: number[] = [op.i32_const, 0], initName = "fwx_init"): Uint8Array {
  const b = new WasmBuilder();
  b.memory(1);
  b.export("memory", 2, 0);
  b.func([], [I32], init, { export: initName });
  extend(b);
  return b.build().bytes;
}

// The good module's ticks are info log lines, which fwx run prints only from --log-level info.
function runArgs(bad: Uint8Array, extra: string[]): string[] {
  const good = join(dir, "good.wasm"), badFile = join(dir, "bad.wasm");
  writeFileSync(good, tickerModule(500));
  writeFileSync(badFile, bad);
  return ["run", good, badFile, "--duration", "3s", "--log-level", "info", ...extra];
}

const withTicks = (r: { status: number | null; stdout: string; stderr: string }) =>
  ({ ...r, ticks: r.stdout.split("\n").filter((l) => /\bgood\b.*\btick\b/.test(l)).length });

async function run(bad: Uint8Array, extra: string[] = []) {
  return withTicks(await runCliInProcess(runArgs(bad, extra)));
}

/** The same through the bundled CLI, in a process of its own. */
function runProcess(bad: Uint8Array) {
  const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, cli, ...runArgs(bad, [])], { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return withTicks(r);
}

/** `fwx <args>` in this process, from `cwd` when given. */
const fwx = (args: string[], cwd?: string) => runCliInProcess(args, cwd === undefined ? {} : { cwd });

describe("fwx run: a bad module beside a good one", () => {
  const faults: [string, Uint8Array, string][] = [
    ["the start function", module((b) => b.start(b.func([], [], [op.unreachable]))), "unreachable"],
    ["fwx_init", module(() => {}, [op.unreachable]), "unreachable"],
    ["a timer callback", misbehaveOnTimer([op.unreachable]), "unreachable"],
  ];
  for (const [stage, bytes, reason] of faults) {
    it(`a fault in ${stage}: exit 3, the fault reported, the good module runs to the end`, async () => {
      const r = await run(bytes);
      expect(r.stderr).not.toMatch(/internal error/i);
      expect(r.status).toBe(3);
      expect(r.stdout).toContain(`fault in bad: ${reason}`);
      expect(r.ticks).toBe(6);
      expect(r.stdout).toMatch(/good: stopped, 0 faults/);
    });
  }

  it("a fault in a timer callback, through the bundled CLI in a process: exit 3, the good module runs to the end", () => {
    const r = runProcess(faults[2]![1]);
    expect(r.stderr).not.toMatch(/internal error/i);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain("fault in bad: unreachable");
    expect(r.ticks).toBe(6);
  });

  it("a fault in an event callback (a watched pin's edge): exit 3, the good module runs to the end", async () => {
    // A board of one input pin whose level the trace flips at 1 s.
    writeFileSync(join(dir, "edge.csv"), "time,sensor,value\n0,sw,0\n1,sw,1\n");
    const board = join(dir, "edge.json");
    writeFileSync(board, JSON.stringify({
      name: "edge-board", seed: 1, trace: "edge.csv",
      gpio: [{ pin: 2, name: "sw", modes: ["input"], drive: { trace: "sw" } }],
      grantable: { timers: 4, gpio: [{ pin: 2, modes: ["input"] }] },
    }));
    const b = new WasmBuilder();
    const claim = b.importFunc("fwx:gpio@1", "claim", [I32, I32, I32], [I32]);
    const watch = b.importFunc("fwx:gpio@1", "watch", [I32, I32], [I32]);
    b.memory(1);
    b.export("memory", 2, 0);
    b.func([], [I32], [
      op.i32_const, 2, op.i32_const, 0, op.i32_const, 0, op.call, claim, op.drop,
      op.i32_const, 0, op.i32_load, 2, 0, op.i32_const, 3, op.call, watch, op.drop,
      op.i32_const, 0,
    ], { export: "fwx_init" });
    b.func([I32, I32, I32], [], [op.unreachable], { export: "fwx_on_event" });
    const r = await run(b.build().bytes, ["--board", board]);
    expect(r.stderr).not.toMatch(/internal error/i);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/fault in bad: unreachable[\s\S]*during fwx_on_event\(1, /);
    expect(r.ticks).toBe(6);
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ["code the engine cannot compile", module((b) => b.func([], [I32], [op.i32_add])), /refused \(validation\)[\s\S]*the WebAssembly engine rejects the module/],
    ["an export named \\uFEFFfwx_init", module(() => {}, [op.i32_const, 0], "\uFEFFfwx_init"), /refused \(validation\)[\s\S]*does not export fwx_init/],
    ["a reserved __fwx_ export", module((b) => b.export("__fwx_fuel_get", 0, 0)), /refused \(validation\)[\s\S]*reserved-export/],
    ["a table of 10 million entries", module((b) => b.table(10_000_000)), /refused \(validation\)[\s\S]*10000000 exceeds the gateway limit of 65536 \(limit "tableEntries"\)/],
  ];
  for (const [what, bytes, message] of refusals) {
    it(`${what}: refused with exit 2 and the reason, not an internal error`, async () => {
      const r = await run(bytes);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /i);
    });
  }
});

describe("fwx run: a capability the board cannot grant", () => {
  // One line naming where the request came from (README, "Errors and exit codes"): the option, or the
  // project's fwx.json, not the module's source (a project directory printed as ".").
  it("asked for with --grant: exit 2 naming the --grant", async () => {
    const file = join(dir, "ticker.wasm");
    writeFileSync(file, tickerModule(500));
    const r = await fwx(["run", file, "--grant", "timers:1", "--grant", "gpio:99:output", "--duration", "1s"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe('fwx: run: --grant gpio:99:output: the board "fwx-demo" cannot grant gpio pin 99 mode output (its profile\'s "grantable" lists what it can)\n');
  });

  it("a .wasm runs with the fuel fwx pack would give it, so a module that needs more faults here, not on the device", async () => {
    // About 5 instructions a turn, 400,000 turns: 2,000,000 fuel, over fwx pack's default of 1,000,000.
    const file = join(dir, "hungry.wasm");
    writeFileSync(file, misbehaveOnTimer([...hop.loop([
      ...hop.localGet(0), ...hop.i32(1), ...hop.i32Add, ...hop.localTee(0), ...hop.i32(400_000), ...hop.i32LtU, ...hop.brIf(0),
    ])], { locals: ["i32"] }));
    const r = await fwx(["run", file, "--grant", "timers:1", "--duration", "1s"]);
    expect(r.status, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/fault +fuel-exhausted/);
    expect(r.stdout).toContain("fuel: 1000000 of 1000000");
    // --fuel still sets it: with room for 2,000,000 the same module runs to the end.
    const more = await fwx(["run", file, "--grant", "timers:1", "--duration", "1s", "--fuel", "5000000"]);
    expect(more.status, more.stdout + more.stderr).toBe(0);
  });

  it("a --grant that does not parse: the option as typed, then what is wrong with it", async () => {
    const file = join(dir, "ticker.wasm");
    writeFileSync(file, tickerModule(500));
    const cases: [string, string][] = [
      ["gpio:6:outptu", 'unknown mode "outptu" (known: input, input-pull-up, input-pull-down, output, output-open-drain)'],
      ["i2c:1:0x148", "must be a 7-bit address 0..127"],
      ["timers:65", "must be an integer 0..64"],
      ["kv:-1", "the kv quota must be a whole number (decimal, or hex as 0x48)"],
    ];
    for (const [grant, says] of cases) {
      const r = await fwx(["run", file, "--grant", grant, "--duration", "1s"]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toBe(`fwx: run: --grant ${grant}: ${says}\n`);
    }
  });

  it("asked for in a project's fwx.json: exit 2 naming the file and field", async () => {
    const project = join(dir, "grants-project");
    mkdirSync(join(project, "assembly"), { recursive: true });
    writeFileSync(join(project, "fwx.json"), JSON.stringify({ id: "com.example.grants", version: "1.0.0", capabilities: { gpio: [{ pin: 99, modes: ["output"] }] } }));
    writeFileSync(join(project, "assembly", "index.ts"), "export function fwx_init(): i32 { return 0; }\n");
    const r = await fwx(["run", ".", "--duration", "1s"], project);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe('fwx: run: fwx.json: capabilities: the board "fwx-demo" cannot grant gpio pin 99 mode output (its profile\'s "grantable" lists what it can)\n');
  });
});

describe("fwx run: a project that does not compile", () => {
  it("is refused at the compile step (not the manifest's), with the compiler's file and line", async () => {
    const project = join(dir, "broken-project");
    mkdirSync(join(project, "assembly"), { recursive: true });
    writeFileSync(join(project, "fwx.json"), JSON.stringify({ id: "com.example.broken", version: "1.0.0" }));
    writeFileSync(join(project, "assembly", "index.ts"), "export function fwx_init(): i32 {\n  return 0 +;\n}\n");
    const r = await fwx(["run", ".", "--duration", "1s"], project);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^fwx: run: com\.example\.broken refused \(compile\):\n/);
    expect(r.stderr).toMatch(/assembly\/index\.ts:2:\d+: error AS\d+/);
  });
});

describe("fwx run | head", () => {
  it("stops quietly with exit 0 when its output is closed early (EPIPE), in a process of its own", async () => {
    const file = join(dir, "chatty.wasm");
    writeFileSync(file, tickerModule(10));
    // A tick every 10 ms of device time for 10 minutes, each an info line: some 4 MB, far more than a pipe
    // holds. (The run goes on to its end before it notices: the simulation does not yield to the event loop.)
    const p = spawn(process.execPath, [...CHILD_NODE_FLAGS, cli, "run", file, "--grant", "timers:1", "--duration", "10m", "--log-level", "info"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    // As `head -1` does: read the first line, then close the pipe.
    await new Promise<void>((res) => p.stdout.once("data", () => { p.stdout.destroy(); res(); }));
    const code = await new Promise<number | string | null>((res) => {
      const t = setTimeout(() => { p.kill("SIGKILL"); res("still running after 30 s"); }, 30_000);
      p.on("exit", (c, sig) => { clearTimeout(t); res(c ?? sig); });
    });
    expect(code, err).toBe(0);
    expect(err).toBe("");
  });
});
