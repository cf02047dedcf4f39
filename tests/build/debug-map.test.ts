// Issue 13 item 6: every build keeps a debug map beside the module (never in
// it), and a fault is reported in the integrator's own function and line,
// on the simulator, with or without the map beside the module. The commands
// are runCli in this process (tests/support/cli-in-process.ts).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildModule } from "../../src/build/build.js";
import { compileAssemblyScript } from "../../src/build/compile.js";
import { parseDebugMap, sha256Hex, symbolize } from "../../src/build/debug-map.js";
import { INSTRUMENTATION_FUNCTION } from "../../src/build/debug-map-mcu.js";
import { isFuelInstrumented } from "../../src/build/finish.js";
import { faultLocation } from "../../src/agent/faults.js";
import { buildProjectPayload } from "../../src/pkg/project.js";
import { decodeU32 } from "../../src/wasm/leb128.js";
import { functionInstructions, parseModule } from "../../src/wasm/reader.js";
import { tempDir } from "../ota/fixtures.js";
import { FAULT_LINE, faultyProject } from "./faulty-project.js";
import { runCliInProcess } from "../support/cli-in-process.js";

const root = join(import.meta.dirname, "../..");
const work = tempDir("debug-map");
afterAll(() => work.cleanup());

const fwx = (args: string[], cwd: string) => runCliInProcess(args, { cwd });

describe("debug maps", () => {
  const project = faultyProject(join(work.path, "faulty"));

  it("fwx build writes x.fwxmap.json beside x.wasm, and nothing of it into the module", async () => {
    const r = await buildModule(project, { out: join(project, "x.wasm") });
    expect(r.ok).toBe(true);
    expect(r.debugMapFile).toBe(join(project, "x.fwxmap.json"));
    const bytes = new Uint8Array(readFileSync(join(project, "x.wasm")));
    const m = parseModule(bytes);
    // No name section and no pointer to a source map: only the fwx.abi section the device needs.
    expect(m.customSections.map((c) => c.name)).toEqual(["fwx.abi"]);
    expect(m.functionNames.size).toBe(0);
    const map = parseDebugMap(readFileSync(r.debugMapFile!, "utf8"), "x.fwxmap.json");
    expect(map.wasmSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(map.module).toEqual({ id: "com.example.faulty", version: "0.1.0" });
    expect(map.functions.length).toBe(m.functions.length);
    expect(map.functions).toContain("assembly/index/fwx_on_timer");
    expect(map.sources).toContain("assembly/index.ts");
    // The runtime's abort sites, by id: the module carries the ids, not these texts.
    expect(Object.values(map.aborts)).toContain("~lib/typedarray.ts:167:45 Index out of range");
    expect(Object.keys(map.aborts).every((id) => /^[1-9]\d*$/.test(id))).toBe(true);
    const text = new TextDecoder("latin1").decode(bytes).replace(/\0/g, "");
    expect(text).not.toContain("Index out of range");
    expect(text).not.toContain("~lib/typedarray.ts");
    // A function's first mapped instruction lies in its own body and names its own source.
    const onTimer = map.functions.indexOf("assembly/index/fwx_on_timer");
    const f = m.functions[onTimer]!;
    const s = symbolize(map, onTimer, f.bodyEnd! - 1, { from: f.codeOffset!, to: f.bodyEnd! });
    expect(s.name).toBe("assembly/index/fwx_on_timer");
    expect(s.userAt?.file).toBe("assembly/index.ts");
  });

  it("an mcu payload's map names a C device's frame, which is in the instrumented bytes, at the integrator's line", async () => {
    const { payload, debugMap } = await buildProjectPayload(project, "mcu");
    const built = await buildModule(project, { write: false });
    expect(isFuelInstrumented(payload)).toBe(true);
    expect(sha256Hex(payload)).not.toBe(sha256Hex(built.bytes!));
    expect(debugMap?.wasmSha256).toBe(sha256Hex(payload));
    // wasm3's frame in fwx_on_timer is at its call to the SDK's abort helper (the function that calls the
    // core.abort import), made by the bounds check of nextSample() inlined into it: its first such call.
    // Found in the instrumented bytes by reading them, not through the translation.
    const m = parseModule(payload, { decodeCode: false });
    const calls = (index: number) => functionInstructions(payload, m, index).filter((ins) => ins.name === "call").map((ins) => ({ at: ins.at, callee: decodeU32(payload, ins.at + 1)[0] }));
    const onTimer = m.exports.find((e) => e.name === "fwx_on_timer")!.index;
    const abortImport = m.imports.find((i) => i.name === "abort")!.funcIndex!;
    const helper = m.functions.find((f) => !f.imported && calls(f.index).some((c) => c.callee === abortImport))!.index;
    const f = m.functions[onTimer]!;
    const call = calls(onTimer).find((c) => c.callee === helper);
    expect(call, "fwx_on_timer calls the abort helper").toBeDefined();
    const frame = { funcIndex: onTimer, funcName: null, moduleOffset: call!.at, moduleBody: { from: f.codeOffset!, to: f.bodyEnd! } };
    const where = faultLocation([frame], debugMap);
    expect(where && `${where.at.file}:${where.at.line}:${where.at.column}`).toBe(FAULT_LINE);
    expect(where?.name).toBe("assembly/index/fwx_on_timer");
    // The instrumentation's own functions are named as such, not as the module's.
    expect(debugMap!.functions.length).toBe(m.functions.length);
    expect(debugMap!.functions.filter((n) => n === INSTRUMENTATION_FUNCTION).length).toBeGreaterThan(0);
  });

  it("making the map does not change the module's code", async () => {
    for (const dir of [project, join(root, "examples", "cold-chain-alarm")]) {
      const opts = { baseDir: dir, entry: "assembly/index.ts", runtime: "stub" as const };
      const withMap = await compileAssemblyScript(opts);
      const without = await compileAssemblyScript({ ...opts, debugMap: false });
      expect(withMap.sourceMap).toBeDefined();
      expect(without.sourceMap).toBeUndefined();
      expect(Buffer.from(withMap.binary!).equals(Buffer.from(without.binary!))).toBe(true);
    }
  });

  it("a fault on the simulator names the user's function and line, not function[N] in ~lib/typedarray.ts", async () => {
    const r = await fwx(["run", "x.wasm", "--grant", "timers:1", "--duration", "1500ms"], project);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toContain("Index out of range at ~lib/typedarray.ts");
    expect(r.stdout).toContain(`at ${FAULT_LINE} in assembly/index/fwx_on_timer`);
    expect(r.stdout).toMatch(/assembly\/index\/fwx_on_timer \(function \d+\) at ~lib\/typedarray\.ts:\d+:\d+ \(inlined; from assembly\/index\.ts:8:10\)/);
    expect(r.stdout).not.toMatch(/function\[\d+\]/);
    // The timeline's own line says it too, not only the report under it: not a bare "at abort site N".
    expect(r.stdout).toMatch(/^ {2}\S+ +\S+ +fault +abort: Index out of range at ~lib\/typedarray\.ts:\d+:\d+ \(abort site \d+\)$/m);
  });

  it("without the map the report says so and gives module positions; --map names it again", async () => {
    mkdirSync(join(project, "maps"));
    renameSync(join(project, "x.fwxmap.json"), join(project, "maps", "x.fwxmap.json"));
    const bare = await fwx(["run", "x.wasm", "--grant", "timers:1", "--duration", "1500ms"], project);
    expect(bare.status, bare.stderr).toBe(3);
    expect(bare.stdout).toContain("no debug map");
    expect(bare.stdout).toMatch(/function\[\d+\] \(function \d+\) at module byte 0x[0-9a-f]+/);
    const mapped = await fwx(["run", "x.wasm", "--grant", "timers:1", "--duration", "1500ms", "--map", "maps/x.fwxmap.json"], project);
    expect(mapped.status, mapped.stderr).toBe(3);
    expect(mapped.stdout).toContain(`at ${FAULT_LINE} in assembly/index/fwx_on_timer`);
    // A map of other bytes is not used: positions would be wrong.
    const other = JSON.parse(readFileSync(join(project, "maps", "x.fwxmap.json"), "utf8")) as { wasmSha256: string };
    writeFileSync(join(project, "maps", "other.fwxmap.json"), JSON.stringify({ ...other, wasmSha256: "0".repeat(64) }));
    const wrong = await fwx(["run", "x.wasm", "--grant", "timers:1", "--duration", "1500ms", "--map", "maps/other.fwxmap.json"], project);
    expect(wrong.stdout).toContain("no debug map");
    const missing = await fwx(["run", "x.wasm", "--map", "maps/nope.fwxmap.json"], project);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^fwx: run: --map maps\/nope\.fwxmap\.json: /);
  });

  it("fwx replay names where a rebuilt module faults when the recording did not", async () => {
    // The same host calls, but the read stays in range: recorded without a fault.
    const fixed = faultyProject(join(work.path, "fixed"));
    const source = join(fixed, "assembly", "index.ts");
    writeFileSync(source, readFileSync(source, "utf8").replace("cursor += 3;", "cursor = 0;"));
    expect((await buildModule(fixed, { out: join(fixed, "ok.wasm") })).ok).toBe(true);
    const rec = await fwx(["run", "ok.wasm", "--grant", "timers:1", "--duration", "1500ms", "--record", "run.fwxrec"], fixed);
    expect(rec.status, rec.stderr).toBe(0);
    const r = await fwx(["replay", join(fixed, "run.fwxrec"), "x.wasm", "--map", "maps/x.fwxmap.json"], project);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/diverged: .* during fwx_on_timer\(1\) at 1\.000 s/);
    expect(r.stdout).toContain(`at ${FAULT_LINE} in assembly/index/fwx_on_timer`);
  });
});
