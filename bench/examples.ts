// Fuel metering overhead on the examples' own CPU kernels, not synthetic ones:
// the Modbus example's response check (table-driven CRC-16/MODBUS over each
// frame) and the pump example's block analysis (Hann window, 256-point FFT,
// RMS, velocity integration, bands). A small bench entry imports the example's
// kernel module by relative path and loops it N times, compiled with the
// optimisation flags `fwx build` uses; the same bytes then run unmetered and
// instrumented (instrumentFuel, default strategy), back to back in each round
// (which goes first alternates); the figure is the median per-round ratio.
// Run alone: npm run bench -- "example kernels"

import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { instantiate, instrumentTimed, median, timeCall } from "./measure.js";
import type { BenchRow } from "./row.js";

const GOAL_RATIO = 1.25;
const ROUNDS = 15;
const WARM_ROUNDS = 3;
const TARGET_CALL_MS = 25;

// import.meta.dirname, not import.meta.url: scripts/run-ts.mjs bundles into a cache
// directory and defines dirname as the source file's own directory.
const repoRoot = resolve(import.meta.dirname, "..");

interface ExampleKernel {
  label: string;
  /** The example's assembly/ directory; the bench entry is served as if it lived there. */
  assemblyDir: string;
  entrySource: string;
  /** What one unit of `run(n)` is ("frame", "block"). */
  unit: string;
  probeArg: number;
  /** Also measure at -O3, for comparison with the size-first build flags. */
  compareAtO3: boolean;
  /** Checks the compiled kernel computes the right thing before any figure is reported. */
  selfCheck(exports: Record<string, unknown>): void;
}

// Response frames of a read of 1..125 holding registers (7..255 bytes, the
// whole Modbus RTU range), one in 16 corrupted after its CRC was computed, as
// a noisy RS-485 line delivers them. Each call walks the pool like a master
// polling many meters; the verdicts and CRCs are folded into the result so
// the optimiser cannot drop any check.
const modbusEntry = `
import { crc16 } from "./crc16";
import { checkReadResponse, FN_READ_HOLDING } from "./frame";

const FRAMES = 64;
const UNIT: u8 = 17;
const frames = new Array<Uint8Array>(0);
const lengths = new StaticArray<i32>(FRAMES);
const counts = new StaticArray<u16>(FRAMES);
let seed: u32 = 0x2545f491;

function next(): u32 {
  seed = seed * 1664525 + 1013904223;
  return seed >> 8;
}

export function init(): void {
  for (let f = 0; f < FRAMES; f++) {
    const count = <u16>(1 + next() % 125);
    const len = 5 + 2 * <i32>count;
    const frame = new Uint8Array(256);
    frame[0] = UNIT;
    frame[1] = FN_READ_HOLDING;
    frame[2] = <u8>(2 * count);
    for (let i = 3; i < len - 2; i++) frame[i] = <u8>next();
    const crc = crc16(frame.dataStart, <usize>(len - 2));
    frame[len - 2] = <u8>crc;
    frame[len - 1] = <u8>(crc >> 8);
    if ((f & 15) == 7) frame[3 + <i32>(next() % <u32>(len - 5))] ^= 0x10;
    frames.push(frame);
    lengths[f] = len;
    counts[f] = count;
  }
}

export function run(n: i32): u32 {
  let acc: u32 = 0;
  for (let i = 0; i < n; i++) {
    const f = i & (FRAMES - 1);
    const verdict = checkReadResponse(unchecked(frames[f]), unchecked(lengths[f]), UNIT, FN_READ_HOLDING, unchecked(counts[f]));
    acc = acc * 31 + <u32>verdict;
  }
  return acc;
}

/** Bytes checked by run(n): the throughput row divides by time. */
export function bytesFor(n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) total += <f64>unchecked(lengths[i & (FRAMES - 1)]);
  return total;
}

/** CRC-16/MODBUS of "123456789": 0x4B37 by the catalogue. */
export function checkValue(): u32 {
  const s = new Uint8Array(9);
  for (let i = 0; i < 9; i++) s[i] = <u8>(0x31 + i);
  return crc16(s.dataStart, 9);
}

/** How many frames of the pool check ok (the rest were corrupted). */
export function okFrames(): i32 {
  let ok = 0;
  for (let f = 0; f < FRAMES; f++) {
    if (checkReadResponse(frames[f], lengths[f], UNIT, FN_READ_HOLDING, counts[f]) == 1) ok++;
  }
  return ok;
}
`;

// Blocks of radial acceleration as the pump example sees them at its default
// 400 Hz: gravity on the axis, a 1x shaft tone at 24.5 Hz (1470 rpm) whose
// amplitude drifts block to block, a smaller 2x tone and broadband noise.
const pumpEntry = `
import { Analysis, analyse } from "./analysis";
import { FFT_SIZE } from "./fft";

const BLOCKS = 8;
const RATE_HZ: f64 = 400;
const LOW_CUT_HZ: f64 = 10;
const SHAFT_HZ: f64 = 24.5;
const blocks = new Array<StaticArray<f64>>(0);
const result = new Analysis();
let seed: u32 = 0x9e3779b9;

function noise(): f64 {
  seed = seed * 1664525 + 1013904223;
  return <f64>(seed >> 8) / <f64>(1 << 24) - 0.5;
}

export function init(): void {
  for (let b = 0; b < BLOCKS; b++) {
    const block = new StaticArray<f64>(FFT_SIZE);
    const a1 = 0.3 + 0.05 * <f64>b;
    for (let i = 0; i < FFT_SIZE; i++) {
      const t = <f64>i / RATE_HZ;
      block[i] = 1.0 + a1 * Math.sin(2 * Math.PI * SHAFT_HZ * t) + 0.1 * Math.sin(4 * Math.PI * SHAFT_HZ * t + 0.7) + 0.04 * noise();
    }
    blocks.push(block);
  }
}

export function run(n: i32): f64 {
  let acc: f64 = 0;
  for (let i = 0; i < n; i++) {
    analyse(unchecked(blocks[i & (BLOCKS - 1)]), RATE_HZ, LOW_CUT_HZ, result);
    acc += result.velocityRmsMmS + result.accelRmsG + result.peakHz;
  }
  return acc;
}

/** Dominant frequency found in block b: the 1x shaft tone. */
export function peakHzOf(b: i32): f64 {
  analyse(blocks[b], RATE_HZ, LOW_CUT_HZ, result);
  return result.peakHz;
}
`;

const kernels: ExampleKernel[] = [
  {
    label: "Modbus frame check (CRC-16/MODBUS, 7-255 B)",
    assemblyDir: join(repoRoot, "examples", "modbus-energy-meter", "assembly"),
    entrySource: modbusEntry,
    unit: "frame",
    probeArg: 2_000,
    compareAtO3: false,
    selfCheck(e) {
      const crc = (e.checkValue as () => number)();
      if (crc !== 0x4b37) throw new Error(`modbus bench kernel: CRC-16/MODBUS("123456789") = 0x${crc.toString(16)}, expected 0x4b37`);
      const ok = (e.okFrames as () => number)();
      if (ok !== 60) throw new Error(`modbus bench kernel: ${ok} of 64 frames check ok, expected 60 (4 corrupted)`);
    },
  },
  {
    label: "pump block analysis (FFT-256 + RMS)",
    assemblyDir: join(repoRoot, "examples", "pump-vibration", "assembly"),
    entrySource: pumpEntry,
    unit: "block",
    probeArg: 20,
    compareAtO3: true,
    selfCheck(e) {
      const peak = (e.peakHzOf as (b: number) => number)(0);
      const binHz = 400 / 256;
      if (!(Math.abs(peak - 24.5) < binHz)) throw new Error(`pump bench kernel: dominant frequency ${peak} Hz, expected 24.5 Hz within one bin (${binHz} Hz)`);
    },
  },
];

/** The optimisation flags src/build/compile.ts passes (size first: flash is the scarce resource). */
const BUILD_OPTIMIZE_FLAGS = ["-O3s", "--converge"] as const;
/** Served inside the example's assembly/ directory so `./crc16` resolves; never written to disk. */
const ENTRY_NAME = ".fwx-bench-entry.ts";
const VIRTUAL_CONFIG = resolve("/__fwx_bench__/asconfig.json");

/**
 * Compiles the bench entry as `fwx build` does (src/build/compile.ts: stub
 * runtime, --noAssert, BUILD_OPTIMIZE_FLAGS unless comparing). The one
 * difference: AssemblyScript's default env.abort instead of the SDK's
 * fwxAbort, which would pull the SDK in; abort only sits on cold paths.
 */
async function compileEntry(k: ExampleKernel, optimizeFlags: readonly string[]): Promise<Uint8Array> {
  const { default: asc } = await import("assemblyscript/asc");
  const entryPath = join(k.assemblyDir, ENTRY_NAME);
  let binary: Uint8Array | null = null;
  let stderr = "";
  const result = await asc.main(
    [ENTRY_NAME, "--baseDir", k.assemblyDir, "--config", VIRTUAL_CONFIG, "--runtime", "stub", ...optimizeFlags, "--noAssert", "--outFile", "bench.wasm", "--noColors"],
    {
      readFile: (filename: string, dir: string) => {
        const abs = resolve(dir, filename);
        if (abs === VIRTUAL_CONFIG) return "{}";
        if (abs === entryPath) return k.entrySource;
        try {
          return readFileSync(abs, "utf8");
        } catch {
          return null;
        }
      },
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") binary = contents;
      },
      listFiles: (dirname: string, dir: string) => {
        try {
          return readdirSync(resolve(dir, dirname)).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
        } catch {
          return null;
        }
      },
      stdout: { write: () => true } as never,
      stderr: { write: (s: string | Uint8Array) => ((stderr += typeof s === "string" ? s : Buffer.from(s).toString()), true) } as never,
    },
  );
  if (result.error || !binary) throw new Error(`asc failed on the bench entry for ${k.assemblyDir}: ${result.error?.message ?? "no binary"}\n${stderr}`);
  return binary;
}

interface Measurement {
  /** Units of work per timed call, scaled so a call takes about TARGET_CALL_MS. */
  n: number;
  plainMs: number;
  /** Median over rounds of metered time / unmetered time. */
  ratio: number;
  plainBytes: number;
  meteredBytes: number;
  instrumentMs: number;
  /** Bytes run(n) checks, for kernels that export bytesFor. */
  workBytes?: number;
}

async function measure(k: ExampleKernel, optimizeFlags: readonly string[]): Promise<Measurement> {
  const plainBytes = await compileEntry(k, optimizeFlags);
  const { metered, instrumentMs } = instrumentTimed(plainBytes);
  const plain = instantiate(plainBytes);
  const fueled = instantiate(metered.bytes);
  k.selfCheck(plain.exports);
  k.selfCheck(fueled.exports);

  // Warm up (tier-up to the optimising compiler), then scale n to the target call duration.
  for (let i = 0; i < 5; i++) for (const v of [plain, fueled]) timeCall(v, k.probeArg);
  const probeMs = median([0, 1, 2].map(() => timeCall(plain, k.probeArg).ms));
  const n = Math.max(1, Math.round((k.probeArg * TARGET_CALL_MS) / Math.max(probeMs, 0.01)));
  // Discarded full-length rounds: V8 compiles the optimised tier in the
  // background, and on a loaded machine it can land after the short probes.
  for (let i = 0; i < WARM_ROUNDS; i++) for (const v of [plain, fueled]) timeCall(v, n);

  const plainMs: number[] = [];
  const roundRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which variant goes first so neither always inherits a warm cache or a pending GC.
    const [a, b] = round % 2 ? [fueled, plain] : [plain, fueled];
    const first = timeCall(a, n);
    const second = timeCall(b, n);
    if (!Object.is(first.result, second.result)) {
      throw new Error(`${k.label}: metered and unmetered runs disagree (${String(first.result)} vs ${String(second.result)}) on n=${n}`);
    }
    const [p, f] = a === plain ? [first.ms, second.ms] : [second.ms, first.ms];
    plainMs.push(p);
    roundRatios.push(f / p);
  }
  const plainMedian = median(plainMs);
  const bytesFor = plain.exports.bytesFor as ((n: number) => number) | undefined;
  return {
    n,
    plainMs: plainMedian,
    // The median of per-round ratios: the two calls of a round run back to
    // back, so load from other processes on a shared machine hits both alike.
    ratio: median(roundRatios),
    plainBytes: plainBytes.length,
    meteredBytes: metered.bytes.length,
    instrumentMs,
    ...(bytesFor ? { workBytes: bytesFor(n) } : {}),
  };
}

async function benchKernel(k: ExampleKernel): Promise<BenchRow[]> {
  const m = await measure(k, BUILD_OPTIMIZE_FLAGS);
  const perCallUs = (m.plainMs * 1000) / m.n;
  const rows: BenchRow[] = [
    { name: `${k.label}: unmetered`, value: perCallUs, unit: `µs per ${k.unit}` },
  ];
  if (m.workBytes !== undefined) rows.push({ name: `${k.label}: unmetered CRC throughput`, value: m.workBytes / 1e3 / m.plainMs, unit: "MB/s" });
  rows.push(
    { name: `${k.label}: metered / unmetered`, value: m.ratio, unit: "x", goal: `≤ ${GOAL_RATIO}x`, met: m.ratio <= GOAL_RATIO },
    { name: `${k.label}: code size metered / unmetered`, value: m.meteredBytes / m.plainBytes, unit: `x (${m.plainBytes} B unmetered)` },
    { name: `${k.label}: instrumentation time`, value: m.instrumentMs, unit: "ms" },
  );
  if (k.compareAtO3) {
    // Not what ships; shows whether the calls the size-first build leaves
    // un-inlined still cost metering anything (small leaf callees are charged
    // at their call sites, so they need no fuel write-back; see src/fuel/rewrite.ts).
    const o3 = await measure(k, ["-O3"]);
    rows.push(
      { name: `${k.label} at -O3: unmetered`, value: (o3.plainMs * 1000) / o3.n, unit: `µs per ${k.unit}` },
      { name: `${k.label} at -O3: metered / unmetered`, value: o3.ratio, unit: "x" },
    );
  }
  return rows;
}

export async function benchExamples(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const k of kernels) rows.push(...(await benchKernel(k)));
  return rows;
}
