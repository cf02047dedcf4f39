#!/usr/bin/env node
// Opt-in, never in `npm test`: the supervisor against a REAL wasm3 source tree
// the user supplies (wasm3's code never enters this repository).
//   node tests/c/wasm3-real/run.mjs [--bench] <wasm3 dir> [<wasm3 dir> ...]
// For each tree: builds wasm3 as a static library, compiles firmware/*.c and
// the supervisor (firmware/runtime/fwx_sup*.c) strictly (C99, -Werror)
// against its wasm3.h, links tests/c/wasm3-real/run_supervisor.c, then runs
// the examples (as `fwx pack --target mcu` builds them) and hostile modules
// and checks each outcome. With --bench it also prints the fuel overhead of
// the bench kernels and the host-call cost through the glue (bench_wasm3.c;
// figures, no verdict). Modules are built from src/ through
// scripts/run-ts.mjs (no dist/ needed). Build output:
// tests/c/build/wasm3-real/ (gitignored).
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..", "..");
const out = join(root, "tests", "c", "build", "wasm3-real");
const bench = process.argv.includes("--bench");
const trees = process.argv.slice(2).filter((a) => a !== "--bench");
if (!trees.length) {
  console.error("usage: node tests/c/wasm3-real/run.mjs <wasm3 source dir> [...]");
  process.exit(2);
}

let failed = 0;
const sh = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 300_000, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}\n${r.stdout}${r.stderr}`);
  return r.stdout;
};
const expect = (what, ok, detail) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok ? "" : `\n  ${detail.trim().split("\n").join("\n  ")}`}`);
  if (!ok) failed++;
};

const wasmDir = join(out, "wasm");
const benchDir = join(out, "bench");
sh(process.execPath, [join(root, "scripts", "run-ts.mjs"), join(here, "modules.ts"), wasmDir]);
if (bench) sh(process.execPath, [join(root, "scripts", "run-ts.mjs"), join(here, "bench-modules.ts"), benchDir]);

const STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes"];
const OWN_HAL = ["timer_start", "timer_cancel", "core_now_ms", "core_now_us", "core_abort", "core_fuel_exhausted", "handle_owned"].map((n) => `-Dfwx_hal_${n}=unused_${n}`);

for (const tree of trees) {
  const src = join(resolve(tree), "source");
  const dir = join(out, basename(resolve(tree)));
  mkdirSync(dir, { recursive: true });
  console.log(`--- wasm3 at ${tree}`);
  const m3 = readdirSync(src).filter((f) => f.endsWith(".c"));
  for (const f of m3) sh("gcc", ["-O2", "-std=gnu11", "-w", "-c", join(src, f), "-o", join(dir, f.replace(/\.c$/, ".o"))]);
  sh("ar", ["rcs", join(dir, "libm3.a"), ...m3.map((f) => join(dir, f.replace(/\.c$/, ".o")))]);
  const inc = ["-I", join(root, "firmware"), "-I", join(root, "firmware", "runtime"), "-I", join(root, "tests", "c"), "-I", src];
  const ours = [...readdirSync(join(root, "firmware")).filter((f) => f.endsWith(".c")).map((f) => join(root, "firmware", f)),
    // The supervisor only: the rest of firmware/runtime/ (verifier, slots, device core) needs its ports.
    ...readdirSync(join(root, "firmware", "runtime")).filter((f) => /^fwx_sup(ervisor|_[a-z_]+)\.c$/.test(f)).map((f) => join(root, "firmware", "runtime", f))];
  const objs = ours.map((f) => join(dir, `fwx-${basename(f, ".c")}.o`));
  try {
    ours.forEach((f, i) => sh("gcc", [...STRICT, ...inc, "-c", f, "-o", objs[i]]));
    expect("firmware/*.c and the supervisor compile warning-free as C99 against this wasm3.h", true, "");
  } catch (e) {
    expect("firmware/*.c and the supervisor compile warning-free as C99 against this wasm3.h", false, e.message);
    continue;
  }
  sh("gcc", ["-O2", "-std=gnu11", ...inc, ...OWN_HAL, "-c", join(root, "tests", "c", "generated", "fwx_test_abi.c"), "-o", join(dir, "hal.o")]);
  const exe = join(dir, "run_supervisor");
  sh("gcc", ["-O2", "-std=gnu11", ...inc, join(here, "run_supervisor.c"), ...objs, join(dir, "hal.o"), join(dir, "libm3.a"), "-lm", "-lpthread", "-o", exe]);

  const run = (wasm, args) => spawnSync(exe, [join(wasmDir, `${wasm}.wasm`), ...args], { encoding: "utf8", timeout: 60_000 });
  const r1 = run("cold-chain-alarm", ["--trial", "--seconds", "70"]);
  expect("cold-chain-alarm on trial is confirmed", /confirmed "\d+ callbacks, no fault"/.test(r1.stdout), r1.stdout + r1.stderr);
  const r2 = run("start-loop", ["--seconds", "0", "--start-fuel", "50000"]);
  expect("a looping start function is stopped by the host's start budget", /fault .*reason=fuel-exhausted callback=__fwx_start .*fuel=50000\/50000/.test(r2.stdout), r2.stdout + r2.stderr);
  const r3 = run("init-loop", ["--seconds", "0", "--fuel", "40000"]);
  expect("a call-free loop in fwx_init ends as fuel-exhausted", /reason=fuel-exhausted callback=fwx_init .*fuel=40000\/40000/.test(r3.stdout), r3.stdout + r3.stderr);
  const r4 = run("growth-bomb", ["--seconds", "0", "--ram", String(4 * 65536)]);
  expect("a growth bomb is refused memory at 4 pages (memory-limit)", /reason=memory-limit .*pages=4\/4 high=4/.test(r4.stdout), r4.stdout + r4.stderr);
  const r5 = run("recursion-bomb", ["--seconds", "0", "--wasm-stack", "8192", "--stack", String(32 * 1024)]);
  expect("a recursion bomb traps cleanly (8 KiB wasm stack, 32 KiB native: the recommended sizes)", /reason=stack-overflow/.test(r5.stdout), `exit ${r5.status} ${r5.signal ?? ""}\n${r5.stdout}${r5.stderr}`);
  const r6 = run("start-loop", ["--seconds", "40", "--start-fuel", "1000"]);
  expect("restarts back off 1, 2, 4, 8 s, then quarantine", /after=1\.0s[\s\S]*after=2\.0s[\s\S]*after=4\.0s[\s\S]*after=8\.0s[\s\S]*quarantined/.test(r6.stdout), r6.stdout);
  for (const ex of ["cold-chain-alarm", "modbus-energy-meter", "pump-vibration"]) {
    const heap = /heap: .*/.exec(run(ex, ["--seconds", "0"]).stdout);
    console.log(`     ${ex}: ${heap ? heap[0] : "no heap figure"}`);
  }
  if (bench) {
    const benchExe = join(dir, "bench_wasm3");
    sh("gcc", ["-O2", "-std=gnu11", ...inc, join(here, "bench_wasm3.c"), ...objs, join(dir, "hal.o"), join(dir, "libm3.a"), "-lm", "-o", benchExe]);
    process.stdout.write(sh(benchExe, [benchDir], { timeout: 600_000 }));
  }
}
console.log(failed ? `${failed} failed` : "all passed");
process.exit(failed ? 1 : 0);
