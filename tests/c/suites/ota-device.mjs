// The OTA protocol in C (firmware/runtime/fwx_ota.c and friends): compiled
// warning-free as C99 with the strict flags, then its unit tests under
// ASan+UBSan against crafted and hostile messages and against deltas made by
// the TypeScript encoder. The device scenarios against Mosquitto with the
// real `fwx flash` follow in tests/c/ota/device-scenarios.mjs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CHILD_NODE_FLAGS } from "../../support/child-node.mjs";

/** The signed-command gate and signed answers fwx_ota.c calls (firmware/runtime/fwx_command.h, fwx_statement.h), on the verifier's CBOR reader; they link with a crypto port (OTA_CRYPTO_PORT, -lsodium). */
export const OTA_TRUST_SOURCES = ["fwx_command.c", "fwx_statement.c", "fwx_cbor_write.c", "fwx_cbor.c", "fwx_pkg_fields.c", "fwx_pkg_caps.c"];
export const OTA_SOURCES = ["fwx_json.c", "fwx_ota.c", "fwx_crc32.c", "fwx_delta.c", "fwx_text.c", ...OTA_TRUST_SOURCES];
export const OTA_CRYPTO_PORT = ["ports", "posix", "fwx_crypto_sodium.c"];
/** firmware/fwx_support.c holds the one UTF-8 validator the CBOR reader uses: every link of OTA_TRUST_SOURCES needs it. */
export const OTA_SUPPORT = ["fwx_support.c"];

export default async function (ctx) {
  const { root, here, build, objects, pass, fail, STRICT, SANITIZE } = ctx;
  const runtime = join(root, "firmware", "runtime");
  const out = join(build, "ota");
  mkdirSync(out, { recursive: true });
  const sources = OTA_SOURCES.map((f) => join(runtime, f));

  const strict = await Promise.all(sources.map((src) => objects.compile(["-std=c99", ...STRICT, "-I", ctx.firmware, "-I", runtime], src)));
  const bad = strict.map((r, i) => ({ r, src: sources[i] })).filter(({ r }) => r.status !== 0);
  if (bad.length) fail("firmware/runtime OTA sources compile as C99 with the strict flags", bad.map(({ src, r }) => `${src}:\n${r.err}`).join("\n"));
  else pass();

  const fixtures = join(out, "delta");
  const gen = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts", "run-ts.mjs"), join(here, "ota", "delta-fixtures.ts"), fixtures], { cwd: root, encoding: "utf8", timeout: 60_000 });
  if (gen.status !== 0) fail("delta fixtures from src/ota/delta.ts", gen.stderr);

  const exe = join(out, "test_ota");
  const cc = await objects.build([...SANITIZE, "-DFWX_OTA_TEST_UNSIGNED", "-I", ctx.firmware, "-I", runtime, "-I", join(here, "ota")],
    [...sources, join(root, "firmware", ...OTA_SUPPORT), join(here, "ota", "ota_fakes.c"), join(here, "ota", "test_ota.c"), join(root, "firmware", ...OTA_CRYPTO_PORT)], exe, { linkArgs: ["-lsodium"] });
  if (cc.status !== 0) return fail("OTA unit tests build", cc.err);
  const run = spawnSync(exe, [fixtures], { encoding: "utf8", timeout: 120_000 });
  const m = /(\d+) passed, (\d+) failed/.exec(run.stdout ?? "");
  if (!m) return fail("OTA unit tests ran to the end", `${run.error ?? ""}${run.stdout}${run.stderr}`);
  for (let i = 0; i < Number(m[1]); i++) pass();
  if (Number(m[2]) > 0 || run.status !== 0) fail(`OTA unit tests: ${m[2]} failed`, `${run.stdout}${run.stderr}`);

  if (existsSync(join(here, "ota", "device-scenarios.mjs"))) {
    const scenarios = await import(join(here, "ota", "device-scenarios.mjs"));
    await scenarios.default(ctx);
  }
}
