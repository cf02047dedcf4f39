// Preparing a module happens on the preparation worker: the agent's thread
// (where running modules' callbacks run) stays free while a big module is
// validated, instrumented and compiled, and a preparation past its time limit
// is refused naming the limit.

import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ModuleRefused } from "../../src/agent/prepare.js";
import { bundleWorkerSource, prepareOffThread, prepareOffThreadSync } from "../../src/agent/prepare-pool.js";
import { I32, WasmBuilder, op } from "../fixtures/wasm-builder.js";
import { tickerModule } from "../fixtures/hostile/modules.js";
import { LiveModuleHost } from "../../src/ota/live-host.js";
import { ModuleStartError } from "../../src/ota/module-host.js";
import type { Manifest } from "../../src/pkg/manifest.js";
import { testBoard, testHost } from "./helpers.js";
import { runNode } from "../support/run-cli.js";

/** `n` functions, each a small loop, so instrumentation has real work per function. */
function bigModule(n: number): Uint8Array {
  const b = new WasmBuilder();
  b.memory(1);
  b.export("memory", 2, 0);
  b.func([], [I32], [op.i32_const, 0], { export: "fwx_init" });
  const body = [op.block, 0x40, op.loop, 0x40, op.local_get, 0, op.i32_const, 1, op.i32_add, op.local_set, 0, op.local_get, 0, op.i32_const, 100, 0x48, op.br_if, 0, op.end, op.end, op.local_get, 0];
  for (let i = 0; i < n; i++) b.func([I32], [I32], body);
  return b.build().bytes;
}

const opts = { moduleId: "big", source: "big.wasm", ramBudgetBytes: 65536 };

describe("the preparation worker", () => {
  it("bundled from the sources, is one file whatever directory a process runs in", async () => {
    const source = fileURLToPath(new URL("../../src/agent/prepare-worker.ts", import.meta.url));
    const probe = fileURLToPath(new URL("./bundle-worker-probe.ts", import.meta.url));
    const elsewhere = await runNode(fileURLToPath(new URL("../../scripts/run-ts.mjs", import.meta.url)), [probe, source], { cwd: tmpdir(), timeoutMs: 30_000 });
    expect(elsewhere.code, elsewhere.err).toBe(0);
    expect(elsewhere.out.trim()).toBe(bundleWorkerSource(source));
  });

  it("keeps the agent's thread free while a big module is prepared", async () => {
    // Big enough that preparing it takes well over 200 ms even on a fast, idle machine (2000 functions took
    // 190 ms here once), so the gap it would leave on this thread cannot be mistaken for scheduling noise.
    const bytes = bigModule(4000);
    await prepareOffThread(bigModule(1), opts); // the worker is up
    let maxGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    const prepared = await prepareOffThread(bytes, opts);
    const took = performance.now() - t0;
    clearInterval(ticker);
    expect(prepared.exports.has("fwx_init")).toBe(true);
    // Done on this thread, the preparation would be one gap as long as itself.
    expect(took).toBeGreaterThan(200);
    expect(maxGap).toBeLessThan(took / 3);
  });

  it("refuses a preparation past its time limit, naming the limit, and the next one runs on a fresh worker", async () => {
    const e = await prepareOffThread(bigModule(4000), opts, { timeLimitMs: 50 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModuleRefused);
    expect((e as ModuleRefused).step).toBe("time-limit");
    expect((e as ModuleRefused).report).toMatch(/took longer than the limit of 50 ms \(limit "prepareTimeLimitMs"\)/);
    const ok = await prepareOffThread(bigModule(1), opts);
    expect(ok.exports.has("fwx_init")).toBe(true);
  });

  it("a refusal crosses the thread as a ModuleRefused with its step and report", async () => {
    const e = await prepareOffThread(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), opts).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModuleRefused);
    expect((e as ModuleRefused).step).toBe("validation");
    expect((e as ModuleRefused).report).toMatch(/unsupported wasm binary version 2/);
  });
});

describe("the device agent's live host", () => {
  it("prepares installs on the worker and keeps them, so a revert to the previous module prepares nothing on the agent's thread", async () => {
    const live = new LiveModuleHost({ board: testBoard(), createHost: testHost, stateDir: null, onEvent: () => {}, telemetry: { accept: () => true } });
    const manifest = { id: "m", capabilities: { timers: 2 }, budgets: { ramBytes: 65536, fuelPerCallback: 1_000_000 } } as unknown as Manifest;
    const spec = (payload: Uint8Array) => ({ id: "m", payload, manifest, config: new Map<string, string>(), source: "m.wasm", restartOnFault: true });
    const events = { callback() {}, fault() {} };
    try {
      const v1 = spec(tickerModule(100, "one")), v2 = spec(tickerModule(100, "two")), v3 = spec(tickerModule(100, "three"));
      live.start({ ...v1, prepared: await live.prepare(v1) }, events);
      live.start({ ...v2, prepared: await live.prepare(v2) }, events);
      expect(live.preparedInThread).toBe(0);
      live.start(v1, events); // the revert: v1 was prepared at its install
      expect(live.preparedInThread).toBe(0);
      live.start(v3, events); // never prepared before: done here
      expect(live.preparedInThread).toBe(1);
    } finally {
      live.close();
    }
  });

  it("holds a module started at boot to the install's time limit, and refuses it naming the limit", () => {
    const live = new LiveModuleHost({ board: testBoard(), createHost: testHost, stateDir: null, onEvent: () => {}, telemetry: { accept: () => true }, prepareTimeLimitMs: 50 });
    const manifest = { id: "big", capabilities: {}, budgets: { ramBytes: 65536, fuelPerCallback: 1_000_000 } } as unknown as Manifest;
    try {
      const e = (() => {
        try {
          return live.start({ id: "big", payload: bigModule(4000), manifest, config: new Map<string, string>(), source: "big.wasm", restartOnFault: true }, { callback() {}, fault() {} });
        } catch (x) {
          return x;
        }
      })();
      expect(e).toBeInstanceOf(ModuleStartError);
      expect((e as ModuleStartError).step).toBe("time-limit");
      expect((e as ModuleStartError).message).toMatch(/took longer than the limit of 50 ms/);
    } finally {
      live.close();
    }
  });
});

describe("preparing while the thread waits (the agent's boot)", () => {
  it("gives what preparing on the worker gives, refusals and the time limit included", async () => {
    const bytes = tickerModule(100);
    const waited = prepareOffThreadSync(bytes, opts);
    const async = await prepareOffThread(bytes, opts);
    expect(Buffer.from(waited.memory.bytes).equals(Buffer.from(async.memory.bytes))).toBe(true);
    expect(WebAssembly.Module.exports(waited.compiled).map((e) => e.name)).toEqual(WebAssembly.Module.exports(async.compiled).map((e) => e.name));
    const bad = (() => { try { return prepareOffThreadSync(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), opts); } catch (e) { return e; } })();
    expect(bad).toBeInstanceOf(ModuleRefused);
    expect((bad as ModuleRefused).step).toBe("validation");
    const slow = (() => { try { return prepareOffThreadSync(bigModule(4000), opts, { timeLimitMs: 50 }); } catch (e) { return e; } })();
    expect(slow).toBeInstanceOf(ModuleRefused);
    expect((slow as ModuleRefused).report).toMatch(/took longer than the limit of 50 ms \(limit "prepareTimeLimitMs"\)/);
    // The stopped worker is replaced: both ways work again.
    expect(prepareOffThreadSync(bytes, opts).exports.has("__fwx_fuel_get")).toBe(true);
    expect((await prepareOffThread(bytes, opts)).exports.has("__fwx_fuel_get")).toBe(true);
  });

  it("keeps the validator and the instrumenter (binaryen) out of the device agent's thread", async () => {
    // Everything `fwx agent` loads before its first module: binaryen is only reachable through the worker's own script.
    const { build } = await import("esbuild");
    const r = await build({ entryPoints: ["src/commands/agent.ts"], bundle: true, write: false, metafile: true, platform: "node", format: "esm", packages: "external", logLevel: "error" });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs).toContain("src/ota/live-host.ts");
    expect(inputs.filter((f) => /src\/(fuel\/instrument|validate\/validate|agent\/prepare)\.ts$/.test(f))).toEqual([]);
    const imports = Object.values(r.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports).not.toContain("binaryen");
  });
});
