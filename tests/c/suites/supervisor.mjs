// The device runtime's supervisor (firmware/runtime/fwx_supervisor.*, fwx_sup_*):
//   1. strict C99 and C11 compiles of its files (against the
//      fake wasm3 header, which declares wasm3's public API);
//   2. tests/c/supervisor/ under ASan+UBSan with scripted guests of the fake
//      wasm3 (tests/c/fake_wasm3/fake_guest.c) making real host calls through
//      the generated raw functions, run under a time limit.
// The runtime implements the timer and the clock/abort/fuel HAL functions
// itself, so the recording fake HAL (tests/c/generated/fwx_test_abi.c) is
// compiled with those six renamed away and supplies every other fwx_hal_*.

import { readdirSync } from "node:fs";
import { join } from "node:path";

const RUNTIME_HAL = ["timer_start", "timer_cancel", "core_now_ms", "core_now_us", "core_abort", "core_fuel_exhausted"];

export default async function supervisor(ctx) {
  const { here, build, firmware, exec, objects, pass, fail, rel, STRICT, SANITIZE } = ctx;
  const runtimeDir = join(firmware, "runtime");
  const testDir = join(here, "supervisor");
  const includes = [...ctx.INCLUDES, "-I", runtimeDir, "-I", testDir];
  // Only the supervisor's own files: firmware/runtime/ also holds the verifier,
  // slot store and device core, which their suites build with their ports.
  const runtimeSources = readdirSync(runtimeDir).filter((f) => /^fwx_sup(ervisor|_[a-z_]+)\.c$/.test(f)).sort().map((f) => join(runtimeDir, f));

  // Both compile modes of the supervisor (FWX_SUP_COMPILE_EAGERLY) as C99 and C11 (the pair as
  // ctx.strictFor has it; the other mode, which has no C11 twin, compiled at -O2 as C99).
  for (const [std, defines] of [["c99", []], ["c11", []], ["c99", ["-DFWX_SUP_COMPILE_EAGERLY=0"]]]) {
    const flags = defines.length ? [`-std=${std}`, ...STRICT] : ctx.strictFor(std);
    const results = await Promise.all(runtimeSources.map((src) =>
      objects.compile([...flags, ...defines, ...includes], src)));
    const bad = results.map((r, i) => ({ r, src: runtimeSources[i] })).filter(({ r }) => r.status !== 0);
    if (bad.length) fail(`firmware/runtime/*.c compiles as ${std} ${defines.join(" ")} with ${STRICT.join(" ")}`, bad.map(({ src, r }) => `${rel(src)}:\n${r.err}`).join("\n"));
    else pass();
  }

  const renames = RUNTIME_HAL.map((n) => `-Dfwx_hal_${n}=fake_hal_unused_${n}`);
  const hal = await objects.compile([...SANITIZE, ...includes, ...renames], join(here, "generated", "fwx_test_abi.c"));
  const firmwareSources = readdirSync(firmware).filter((f) => f.endsWith(".c")).sort().map((f) => join(firmware, f));
  const testSources = readdirSync(testDir).filter((f) => f.endsWith(".c")).sort().map((f) => join(testDir, f));
  const fake = ["fake_wasm3.c", "fake_guest.c"].map((f) => join(here, "fake_wasm3", f));
  const exe = join(build, "fwx_supervisor_tests");
  const link = hal.status === 0
    ? await objects.build([...SANITIZE, ...includes], [...firmwareSources, ...runtimeSources, ...fake, ...testSources], exe, { objects: [hal.obj] })
    : hal;
  if (link.status !== 0) {
    fail("supervisor tests build with ASan/UBSan", link.err);
    return;
  }
  pass();

  // A regression that loops (a timer storm, a restart loop) fails by name instead of hanging npm test.
  const run = await exec("timeout", ["120", exe]);
  for (const line of run.out.split("\n")) {
    if (line.startsWith("FAIL") || line.startsWith("  ")) console.log(line);
  }
  const counts = /^\{"suite":"c-supervisor","passed":(\d+),"failed":(\d+)\}$/m.exec(run.out);
  if (!counts) {
    fail("supervisor tests report their counts", `exit ${run.status}${run.status === 124 ? " (timed out after 120 s)" : ""}\n${run.out.slice(-2000)}${run.err.slice(-4000)}`);
    return;
  }
  for (let i = 0; i < Number(counts[1]); i++) pass();
  for (let i = 0; i < Number(counts[2]); i++) fail(`supervisor C case ${i + 1} of ${counts[2]} failed (see FAIL lines above)`);
  if (run.status !== 0 && Number(counts[2]) === 0) fail("supervisor tests exit 0", run.err.slice(-4000));
}
