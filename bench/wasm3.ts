// Opt-in, never in CI (wasm3's code is not in the repository):
//   npm run bench -- --wasm3 <wasm3 source dir> [--wasm3 <dir> ...]
// Figures of the C runtime on a REAL wasm3 tree. It reuses
// tests/c/wasm3-real/: run.mjs --bench builds wasm3, the glue and the
// supervisor, checks the examples and hostile modules (a failed check fails
// this suite), and prints the fuel overhead of the bench kernels and the
// host-call cost (bench_wasm3.c). This suite turns that output into rows and
// adds, with the run_supervisor binary run.mjs built:
//   - the RAM each example is held to (linear memory pages, as enforced) and
//     wasm3's heap for it;
//   - the native stack a recursion bomb needs to trap cleanly (no SIGSEGV)
//     for 8, 16 and 64 KiB of wasm3 stack, searched in 4 KiB steps;
//   - on a wasm3 with d_m3MaxNativeStack (the newest), the native stack a
//     recursion bomb needs with that guard set to 16 and 24 KiB and a 256 KiB
//     wasm3 stack: wasm3 rebuilt with the define, linked with the objects
//     run.mjs compiled;
//   - wasm3's own code on Cortex-M4 -Os (its source/*.c without the optional
//     m3_api_* host libraries, which fwx does not use), with the options
//     docs/firmware.md recommends.
// Machine-dependent figures (x86-64, gcc -O2 as run.mjs builds); goals are
// those of issue 9.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { BenchRow } from "./row.js";

const root = resolve(import.meta.dirname, "..");
const buildDir = join(root, "tests", "c", "build", "wasm3-real");
// pump-vibration is left out: its fwx_init needs a sensor the recording HAL
// of run_supervisor does not offer, so it never starts there.
const EXAMPLES = ["cold-chain-alarm", "modbus-energy-meter"];
export const WASM_STACKS_KIB = [8, 16, 64];
const STEP = 4 * 1024;
const MAX_NATIVE = 512 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Whether the recursion bomb ends as a clean stack-overflow fault with this much native stack. */
function trapsCleanly(exe: string, wasmStack: number, native: number): boolean {
  const r = spawnSync(exe, [join(buildDir, "wasm", "recursion-bomb.wasm"), "--seconds", "0", "--wasm-stack", String(wasmStack), "--stack", String(native)], { encoding: "utf8", timeout: 60_000 });
  return r.status === 0 && /reason=stack-overflow/.test(r.stdout);
}

/** Smallest native stack (a multiple of 4 KiB) at which the bomb traps cleanly; checks that it is monotonic around the answer. */
export function nativeStackNeeded(exe: string, wasmStack: number): number {
  let lo = 0; // fails (or untested: 0 bytes cannot work)
  let hi = MAX_NATIVE;
  if (!trapsCleanly(exe, wasmStack, hi)) throw new Error(`the recursion bomb does not trap cleanly even with ${MAX_NATIVE / 1024} KiB of native stack (wasm stack ${wasmStack} B)`);
  while (hi - lo > STEP) {
    const mid = Math.floor((lo + hi) / 2 / STEP) * STEP;
    if (mid <= lo) break;
    if (trapsCleanly(exe, wasmStack, mid)) hi = mid;
    else lo = mid;
  }
  // One step more must work too: a flaky threshold is not a figure.
  if (!trapsCleanly(exe, wasmStack, hi + STEP)) throw new Error(`native stack threshold not stable at ${hi / 1024} KiB (wasm stack ${wasmStack} B)`);
  return hi;
}

/** run_supervisor linked against this tree's wasm3 rebuilt with -Dd_m3MaxNativeStack=bytes. */
function guardedRunSupervisor(tree: string, bytes: number): string {
  const src = join(tree, "source");
  const objsOf = join(buildDir, basename(resolve(tree)));
  const dir = join(buildDir, `${basename(resolve(tree))}-maxnative-${bytes}`);
  mkdirSync(dir, { recursive: true });
  const sh = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}\n${r.stdout}${r.stderr}`);
  };
  const define = `-Dd_m3MaxNativeStack=${bytes}`;
  const m3 = readdirSync(src).filter((f) => f.endsWith(".c"));
  for (const f of m3) sh("gcc", ["-O2", "-std=gnu11", "-w", define, "-c", join(src, f), "-o", join(dir, f.replace(/\.c$/, ".o"))]);
  sh("ar", ["rcs", join(dir, "libm3.a"), ...m3.map((f) => join(dir, f.replace(/\.c$/, ".o")))]);
  const ours = readdirSync(objsOf).filter((f) => /^fwx-.*\.o$/.test(f) || f === "hal.o").map((f) => join(objsOf, f));
  const exe = join(dir, "run_supervisor");
  sh("gcc", ["-O2", "-std=gnu11", define, "-I", join(root, "firmware"), "-I", join(root, "firmware", "runtime"), "-I", join(root, "tests", "c"), "-I", src,
    join(root, "tests", "c", "wasm3-real", "run_supervisor.c"), ...ours, join(dir, "libm3.a"), "-lm", "-lpthread", "-o", exe]);
  return exe;
}

/** text + data of wasm3's core on Cortex-M4 -Os, summed over its objects (before link-time garbage collection). */
function wasm3CodeCortexM4(tree: string): number {
  const arm = spawnSync(process.execPath, [join(root, "scripts", "ensure-arm-gcc.mjs")], { cwd: root, encoding: "utf8", timeout: 900_000 });
  if (arm.status !== 0) throw new Error(`the Cortex-M4 compiler is not available:\n${arm.stderr}`);
  const src = join(tree, "source");
  const dir = join(buildDir, `${basename(resolve(tree))}-cortex-m4`);
  mkdirSync(dir, { recursive: true });
  const objs = readdirSync(src).filter((f) => f.endsWith(".c") && !f.startsWith("m3_api_")).map((f) => {
    const obj = join(dir, f.replace(/\.c$/, ".o"));
    const r = spawnSync("arm-none-eabi-gcc", ["-Os", "-mcpu=cortex-m4", "-mthumb", "-std=gnu11", "-w", "-ffunction-sections", "-fdata-sections",
      "-Dd_m3CodePageAlignSize=1024", "-Dd_m3MaxNativeStack=24576", "-c", join(src, f), "-o", obj], { encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) throw new Error(`wasm3 ${f} for Cortex-M4:\n${r.stderr}`);
    return obj;
  });
  const size = spawnSync("arm-none-eabi-size", objs, { encoding: "utf8" });
  let total = 0;
  for (const line of size.stdout.split("\n").slice(1)) {
    const m = /^\s*(\d+)\s+(\d+)\s+\d+\s/.exec(line);
    if (m) total += Number(m[1]) + Number(m[2]);
  }
  return total;
}

export async function benchWasm3(tree: string): Promise<BenchRow[]> {
  if (!existsSync(join(tree, "source", "wasm3.h"))) throw new Error(`${tree}: not a wasm3 source tree (no source/wasm3.h)`);
  const r = spawnSync(process.execPath, [join(root, "tests", "c", "wasm3-real", "run.mjs"), "--bench", tree], { cwd: root, encoding: "utf8", timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`tests/c/wasm3-real/run.mjs --bench ${tree} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  const text = r.stdout;
  const rows: BenchRow[] = [];

  // Fuel metering alone (the goal), then the whole device form with the inline RAM bounds a sub-page budget adds.
  for (const [label, what] of [["fuel", "fuel metering"], ["fuel+ram", "fuel + RAM bounds (the device form for a sub-page budget)"]] as const) {
    const ratios: number[] = [];
    for (const m of text.matchAll(/^(\S+) (\S+)\s+run\(\d+\): unmetered ([\d.]+) ms, metered ([\d.]+) ms, ratio ([\d.]+)x$/gm)) {
      if (m[1] !== label) continue;
      ratios.push(Number(m[5]));
      rows.push({ name: `${what}: ${m[2]} / unmetered (unmetered ${m[3]} ms)`, value: Number(m[5]), unit: "x" });
    }
    if (ratios.length !== 3) throw new Error(`expected 3 "${label}" kernel lines from bench_wasm3, got ${ratios.length}:\n${text}`);
    const med = median(ratios);
    rows.push({ name: `${what} overhead, median of the three kernels`, value: med, unit: "x", ...(label === "fuel" ? { goal: "≤ 1.25x", met: med <= 1.25 } : {}) });
  }

  const hc = /^host call x\d+: bare raw ([\d.]+) ns\/call, through the glue \(now_us \+ ring\) ([\d.]+) ns\/call, \+([-\d.]+) ns$/m.exec(text);
  if (!hc) throw new Error(`no host-call line from bench_wasm3:\n${text}`);
  rows.push({ name: "host call, bare raw function", value: Number(hc[1]), unit: "ns" });
  rows.push({ name: "host call through the glue and the runtime's HAL", value: Number(hc[2]), unit: "ns" });
  rows.push({ name: "host call, glue / bare", value: Number(hc[2]) / Number(hc[1]), unit: "x" });

  const exe = join(buildDir, basename(resolve(tree)), "run_supervisor");
  for (const ex of EXAMPLES) {
    // Held to the manifest's RAM budget, as the device holds it (fwx_device_run.c): to the byte, by the device form's bounds.
    const budget = Number((JSON.parse(readFileSync(join(root, "examples", ex, "fwx.json"), "utf8")) as { ramBudget?: number }).ramBudget ?? 65536);
    const run = spawnSync(exe, [join(buildDir, "wasm", `${ex}.wasm`), "--seconds", "0", "--ram", String(budget)], { encoding: "utf8", timeout: 60_000 });
    const heap = /heap: (\d+) bytes/.exec(run.stdout);
    const mem = /memory (\d+) pages \(limit (\d+)\)/.exec(run.stdout);
    if (run.status !== 0 || !heap || !mem || !/ started\n/.test(run.stdout)) throw new Error(`${ex} on run_supervisor: exit ${run.status}\n${run.stdout}${run.stderr}`);
    rows.push({ name: `${ex}: linear memory as enforced: the manifest's budget (bytes; ${mem[1]}/${mem[2]} pages allocated)`, value: budget, unit: "B" });
    rows.push({ name: `${ex}: wasm3 heap after start (incl. linear memory, 8 KiB wasm stack)`, value: Math.round(Number(heap[1]) / 1024), unit: "KiB" });
  }

  for (const kib of WASM_STACKS_KIB) {
    rows.push({ name: `native stack for a clean recursion trap, ${kib} KiB wasm3 stack`, value: nativeStackNeeded(exe, kib * 1024) / 1024, unit: "KiB" });
  }
  if (/d_m3MaxNativeStack/.test(readFileSync(join(tree, "source", "m3_config.h"), "utf8"))) {
    for (const guardKib of [16, 24]) {
      const guarded = guardedRunSupervisor(tree, guardKib * 1024);
      rows.push({ name: `native stack for a clean trap, d_m3MaxNativeStack ${guardKib} KiB, 256 KiB wasm3 stack`, value: nativeStackNeeded(guarded, 256 * 1024) / 1024, unit: "KiB" });
    }
  }
  rows.push({ name: "wasm3 code, Cortex-M4 -Os (source/*.c but m3_api_*)", value: Math.round((wasm3CodeCortexM4(tree) / 1024) * 10) / 10, unit: "KiB" });
  return rows;
}
