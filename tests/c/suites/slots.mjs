// The slot store (firmware/runtime/fwx_slots.c) and the POSIX file flash
// port: strict compiles as C99 and C11 (runtime defaults), then the
// power-cut tests of tests/c/slots/ under ASan + UBSan with a small
// compile-time layout (2 modules, 2 KiB slots, 512-byte sectors), so a cut
// at every flash operation of every scenario stays within seconds.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { OTA_CRYPTO_PORT, OTA_SUPPORT, OTA_TRUST_SOURCES } from "./ota-device.mjs";

const TEST_LAYOUT = [
  "-DFWX_SLOTS_MAX_MODULES=2u", "-DFWX_SLOTS_MAX_FLOORS=3u", "-DFWX_SLOTS_SLOT_BYTES=2048u", "-DFWX_SLOTS_STAGING_BYTES=2048u",
  "-DFWX_SLOTS_BANK_BYTES=4096u", "-DFWX_SLOTS_CONFIG_MAX=64u", "-DFWX_SLOTS_CONFIG_POOL=96u", "-DFWX_SLOTS_META_MAX=48u",
];
/** The OTA state machine with its partial download in the staging area (its meta JSON needs 1 KiB). */
const OTA_LAYOUT = [
  "-DFWX_SLOTS_MAX_MODULES=1u", "-DFWX_SLOTS_MAX_FLOORS=1u", "-DFWX_SLOTS_SLOT_BYTES=8192u", "-DFWX_SLOTS_STAGING_BYTES=8192u",
  "-DFWX_SLOTS_BANK_BYTES=8192u", "-DFWX_SLOTS_META_MAX=1024u",
];
/** Seconds the sanitized test binary may run before it counts as hung. */
const TIME_LIMIT_S = 150;

export default async function (ctx) {
  const runtime = join(ctx.root, "firmware", "runtime");
  const posix = join(ctx.root, "firmware", "ports", "posix");
  const tests = join(ctx.here, "slots");
  const runtimeSources = ["fwx_slots.c", "fwx_slots_journal.c", "fwx_slots_partial.c", "fwx_crc32.c"].map((f) => join(runtime, f));
  const portSources = [join(posix, "fwx_flash_file.c")];
  const includes = ["-I", runtime, "-I", posix, "-I", tests];

  // Strict compiles, one object per standard and file (defaults and the test layout).
  for (const std of ["c99", "c11"]) {
    const results = await Promise.all(
      [...runtimeSources, ...portSources].flatMap((src) => [
        ctx.objects.compile([...ctx.strictFor(std), ...includes], src),
        ctx.objects.compile([...ctx.strictFor(std), ...TEST_LAYOUT, ...includes], src),
      ]),
    );
    const bad = results.filter((r) => r.status !== 0);
    if (bad.length) ctx.fail(`the slot store and file port compile as ${std} with ${ctx.STRICT.join(" ")}`, bad.map((r) => r.err).join("\n"));
    else ctx.pass();
  }

  const exe = join(ctx.build, "fwx_slots_tests");
  const testSources = ["sim_flash.c", "test_slots.c", "test_file_port.c"].map((f) => join(tests, f));
  const built = await ctx.objects.build([...ctx.SANITIZE, ...TEST_LAYOUT, ...includes], [...runtimeSources, ...portSources, ...testSources], exe);
  if (built.status !== 0) {
    ctx.fail("slot store tests build with ASan/UBSan", built.err);
    return;
  }
  ctx.pass();

  const scratch = join(ctx.build, "slots-flash");
  mkdirSync(scratch, { recursive: true });
  // `timeout` turns a hang into a named failure (exit 124).
  const run = await ctx.exec("timeout", [String(TIME_LIMIT_S), exe, scratch]);
  const lines = run.out.split("\n");
  const failures = lines.flatMap((l, i) => (l.startsWith("FAIL slots: ") ? [{ what: l.slice(5), detail: lines[i + 1]?.startsWith("  ") ? lines[i + 1] : "" }] : []));
  const counts = /^\{"suite":"c-slots","passed":(\d+),"failed":(\d+)\}$/m.exec(run.out);
  if (run.status === 124) ctx.fail(`slot store tests finish within ${TIME_LIMIT_S} s`, run.out.slice(-2000));
  else if (!counts) ctx.fail("slot store tests report their counts", `exit ${run.status}\n${run.out.slice(-2000)}${run.err.slice(-4000)}`);
  else {
    const cuts = /^power cuts simulated: (\d+)$/m.exec(run.out);
    if (cuts) console.log(`slots: ${cuts[1]} power cuts simulated`);
    for (let i = 0; i < Number(counts[1]); i++) ctx.pass();
    for (const f of failures) ctx.fail(f.what, f.detail);
    const unreported = Number(counts[2]) - failures.length;
    for (let i = 0; i < unreported; i++) ctx.fail("slot store test failed (details beyond the printed 40)");
    if (run.status !== 0 && Number(counts[2]) === 0) ctx.fail("slot store tests exit 0", run.err.slice(-4000));
  }

  // The OTA state machine (c-ota's fwx_ota.c) on the store's partial-download port: built wherever
  // both are in the tree (after the runtime's branches are merged).
  const otaSources = ["fwx_ota.c", "fwx_json.c", "fwx_text.c", ...OTA_TRUST_SOURCES].map((f) => join(runtime, f));
  if (otaSources.every((f) => existsSync(f))) {
    const otaExe = join(ctx.build, "fwx_slots_ota_tests");
    const otaBuilt = await ctx.objects.build([...ctx.SANITIZE, "-DFWX_OTA_TEST_UNSIGNED", ...OTA_LAYOUT, ...includes, "-I", join(ctx.root, "firmware")],
      [...runtimeSources, ...otaSources, join(tests, "sim_flash.c"), join(tests, "test_ota_partial.c"), join(ctx.root, "firmware", ...OTA_SUPPORT), join(ctx.root, "firmware", ...OTA_CRYPTO_PORT)], otaExe, { linkArgs: ["-lsodium"] });
    if (otaBuilt.status !== 0) ctx.fail("the OTA state machine builds on the slot store's partial-download port", otaBuilt.err);
    else {
      const otaRun = await ctx.exec("timeout", ["60", otaExe]);
      const c = /^\{"suite":"c-slots-ota","passed":(\d+),"failed":(\d+)\}$/m.exec(otaRun.out);
      if (!c || otaRun.status !== 0) ctx.fail("the OTA state machine resumes a transfer kept in the slot store across a reboot", `exit ${otaRun.status}\n${otaRun.out.slice(-3000)}${otaRun.err.slice(-3000)}`);
      else for (let i = 0; i < Number(c[1]); i++) ctx.pass();
    }
  }
}
