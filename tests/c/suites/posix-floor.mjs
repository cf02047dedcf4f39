// The POSIX anti-rollback store (firmware/ports/posix/fwx_posix_floor.c) with
// a fault injected at each step of its durable write
// (tests/c/posix/test_posix_floor.c), under ASan+UBSan.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DEVICE_SLOTS_DEFINES } from "../../../scripts/build-device.mjs";

export default async function (ctx) {
  const { here, build, firmware, exec, objects, pass, fail, SANITIZE } = ctx;
  const out = join(build, "posix-floor");
  mkdirSync(out, { recursive: true });
  const posix = join(firmware, "ports", "posix");
  const runtime = join(firmware, "runtime");
  const exe = join(out, "test_posix_floor");
  const wraps = ["open", "pwrite", "fsync", "rename"].map((f) => `-Wl,--wrap=${f}`);
  const cc = await objects.build([...SANITIZE.map((f) => (f === "-std=c11" ? "-std=gnu11" : f)), ...DEVICE_SLOTS_DEFINES,
    "-I", firmware, "-I", runtime, "-I", join(runtime, "device"), "-I", posix, "-I", join(here, "fake_wasm3")],
  [join(posix, "fwx_posix_floor.c"), join(posix, "fwx_posix_files.c"), join(runtime, "fwx_json.c"), join(runtime, "fwx_text.c"), join(here, "posix", "test_posix_floor.c")], exe, { linkArgs: wraps });
  if (cc.status !== 0) return fail("the anti-rollback store's fault harness builds", cc.err);
  const work = join(out, "work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const run = await exec(exe, [work]);
  const m = /(\d+) passed, (\d+) failed/.exec(run.out);
  if (!m || Number(m[2]) > 0 || run.status !== 0) fail("the anti-rollback store never goes down when its durable write fails at any step", `${run.out}${run.err}`.slice(-4000));
  else pass();
}
