// The device core (firmware/runtime/device) on the slot store, with a power
// cut at every flash operation of an install, a faulting trial's revert, a
// config set, a remove and a delta applied streaming into the inactive slot
// (tests/c/device/test_device_cuts.c), in-process on the wasm3 test double
// under ASan+UBSan; packages run from the file port's mmap. Also: the device
// core compiles as C99 with the strict flags, with and without
// FWX_DEVICE_RAM_PAYLOAD, and the RAM build installs, confirms and applies a
// delta (no cuts).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CHILD_NODE_FLAGS } from "../../support/child-node.mjs";
// The device build's slot layout, with 64 KiB packages so each cut's flash copy stays small.
const LAYOUT = ["-DFWX_DEVICE_MAX_PACKAGE=65536u", "-DFWX_SLOTS_SLOT_BYTES=65536u", "-DFWX_SLOTS_STAGING_BYTES=65536u", "-DFWX_SLOTS_BANK_BYTES=65536u",
  "-DFWX_SLOTS_CONFIG_MAX=4640u", "-DFWX_SLOTS_CONFIG_POOL=4640u", "-DFWX_JSON_MAX_DEPTH=16", "-DFWX_OTA_HOLD_BYTES=65536u", "-DFWX_OTA_HOLD_ENTRIES=32u", "-DFWX_OTA_OUT_MAX=16384u", "-DFWX_OTA_REPLY_MAX=16384u", "-DFWX_OTA_MAX_TRANSFER=65536u", "-DFWX_SUP_HEALTH_TIMEOUT_SECONDS=20u"];

export default async function (ctx) {
  const { root, here, build, firmware, exec, objects, pass, fail, rel, STRICT, SANITIZE } = ctx;
  const runtime = join(firmware, "runtime");
  const device = join(runtime, "device");
  const posix = join(firmware, "ports", "posix");
  const fake = join(here, "fake_wasm3");
  const out = join(build, "device-cuts");
  mkdirSync(out, { recursive: true });
  const cfiles = (dir) => readdirSync(dir).filter((f) => f.endsWith(".c")).sort().map((f) => join(dir, f));
  const includes = ["-I", firmware, "-I", runtime, "-I", device, "-I", posix, "-I", fake];

  const strict = await Promise.all(cfiles(device).map((src) => objects.compile(["-std=c99", ...STRICT, ...LAYOUT, ...includes], src).then((r) => ({ src, r }))));
  const bad = strict.filter(({ r }) => r.status !== 0 || r.err.trim() !== "");
  if (bad.length) fail("the device core compiles as C99 with the strict flags", bad.map(({ src, r }) => `${rel(src)}:\n${r.err}`).join("\n"));
  else pass();
  // The same with -DFWX_DEVICE_RAM_PAYLOAD (a flash port without map: packages copied into RAM).
  const strictRam = await Promise.all(cfiles(device).map((src) => objects.compileWith(["-std=c99", ...STRICT, ...LAYOUT, ...includes], ["-DFWX_DEVICE_RAM_PAYLOAD"], src).then((r) => ({ src, r }))));
  const badRam = strictRam.filter(({ r }) => r.status !== 0 || r.err.trim() !== "");
  if (badRam.length) fail("the device core compiles as C99 with the strict flags and FWX_DEVICE_RAM_PAYLOAD", badRam.map(({ src, r }) => `${rel(src)}:\n${r.err}`).join("\n"));
  else pass();

  const fixtures = join(out, "fixtures");
  const gen = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts", "run-ts.mjs"), join(here, "device", "cut-fixtures.ts"), fixtures], { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (gen.status !== 0) return fail("power-cut fixtures (tests/c/device/cut-fixtures.ts)", `${gen.error ?? ""}${gen.stderr}`);

  const exe = join(out, "test_device_cuts");
  const sources = [...cfiles(firmware), ...cfiles(runtime), ...cfiles(device),
    ...["fwx_flash_file.c", "fwx_crypto_sodium.c", "fwx_posix_board.c", "fwx_hal_bridge.c", "fwx_bridge.c"].map((f) => join(posix, f)),
    join(fake, "fake_wasm3.c"), join(fake, "fake_guest.c"), join(here, "ota", "fake_device_guests.c"), join(here, "device", "test_device_cuts.c")];
  const cc = await objects.build([...SANITIZE.map((f) => (f === "-std=c11" ? "-std=gnu11" : f)), ...LAYOUT, "-DFWX_DEVICE_FAKE_GUESTS", "-DFWX_OTA_TEST_UNSIGNED", ...includes], sources, exe, { linkArgs: ["-lsodium", "-lm"] });
  if (cc.status !== 0) return fail("power-cut harness builds", cc.err);

  // Thousands of flash images are copied and synced: on tmpfs when the machine has one.
  const work = existsSync("/dev/shm") ? join("/dev/shm", `fwx-device-cuts-${process.pid}`) : join(out, "work");
  mkdirSync(work, { recursive: true });
  // One process per scenario, in parallel: each starts from its own copy of the base flash.
  const scenarios = ["install", "revert", "config set", "remove", "delta install"];
  const cutRuns = Promise.all(scenarios.map((name, i) => {
    const dir = join(work, `s${i}`);
    mkdirSync(dir, { recursive: true });
    return exec(exe, [fixtures, join(root, "boards", "demo.json"), dir, name], 600_000);
  }));
  // The RAM build (a port without map) end to end without cuts: install, confirm, a delta, confirm.
  const exeRam = join(out, "test_device_cuts_ram");
  // Only the sources that read a file naming FWX_DEVICE_RAM_PAYLOAD are compiled again; the others
  // link the objects of the build above (object-cache.mjs, compileWith).
  const ccRam = await objects.build([...SANITIZE.map((f) => (f === "-std=c11" ? "-std=gnu11" : f)), ...LAYOUT, "-DFWX_DEVICE_FAKE_GUESTS", "-DFWX_OTA_TEST_UNSIGNED", ...includes], sources, exeRam, { linkArgs: ["-lsodium", "-lm"], defines: ["-DFWX_DEVICE_RAM_PAYLOAD"] });
  const ramDir = join(work, "ram");
  mkdirSync(ramDir, { recursive: true });
  const ram = ccRam.status === 0 ? await exec(exeRam, [fixtures, join(root, "boards", "demo.json"), ramDir, "uncut"], 120_000) : null;
  const runs = await cutRuns;
  rmSync(work, { recursive: true, force: true });
  const mRam = /(\d+) passed, (\d+) failed/.exec(ram?.out ?? "");
  if (ccRam.status !== 0) fail("the device with FWX_DEVICE_RAM_PAYLOAD builds", ccRam.err);
  else if (!mRam || Number(mRam[2]) > 0 || Number(mRam[1]) < 3 || ram.status !== 0)
    fail("the device with FWX_DEVICE_RAM_PAYLOAD installs, confirms and applies a delta (2 min limit)", `${ram.out}${ram.err}`.slice(-4000));
  else pass();
  const cuts = [];
  for (const [i, run] of runs.entries()) {
    const m = /(\d+) passed, (\d+) failed/.exec(run.out);
    if (!m) {
      fail(`power-cut harness ran "${scenarios[i]}" to the end (10 min limit)`, `${run.out}${run.err}`.slice(-4000));
      continue;
    }
    cuts.push(...[...run.out.matchAll(/"scenario":"([^"]+)","cuts":(\d+)/g)].map((x) => `${x[1]} ${x[2]}`));
    if (!run.out.includes(`"scenario":"${scenarios[i]}"`)) fail(`power-cut harness knows the scenario "${scenarios[i]}"`, run.out.slice(-2000));
    else if (Number(m[2]) > 0 || run.status !== 0) fail(`device power cuts, ${scenarios[i]}: ${m[2]} checks failed`, `${run.out}${run.err}`.slice(-6000));
    else pass();
  }
  process.stdout.write(`device power cuts: ${cuts.join(", ")}\n`);
}
