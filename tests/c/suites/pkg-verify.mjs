// The C package verifier (firmware/runtime/fwx_pkg_verify.h) against the
// TypeScript one: tests/c/pkg/corpus.ts writes packages, device inputs and
// verifyPackage's verdicts (every bit flip and truncation of three packages,
// signed parts damaged and signed again, scope/revocation/rollback/clock/caps
// scenarios, revocation list files, raw CBOR regions); the sanitized C
// harness must agree on every one. The runtime files also compile
// warning-free as C99 and C11 with the strict flags.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureCLibs } from "../../../scripts/ensure-c-libs.mjs";
import { cachedGenerate } from "../generator-cache.mjs";
import { CHILD_NODE_FLAGS } from "../../support/child-node.mjs";

export const RUNTIME_PKG_SOURCES = ["fwx_cbor.c", "fwx_pkg_fields.c", "fwx_pkg_caps.c", "fwx_pkg_payload.c", "fwx_pkg_verify.c", "fwx_revocations.c"];

export default async function pkgVerify(ctx) {
  const { root, build, firmware, exec, objects, pass, fail, rel, STRICT, SANITIZE, compareCorpus } = ctx;
  const runtime = join(firmware, "runtime");
  const port = join(firmware, "ports", "posix", "fwx_crypto_sodium.c");
  const sources = RUNTIME_PKG_SOURCES.map((f) => join(runtime, f));
  const includes = ["-I", firmware, "-I", runtime];
  try {
    ensureCLibs();
  } catch (e) {
    fail("the C libraries of the POSIX port are installed (scripts/ensure-c-libs.mjs)", e.message);
    return;
  }

  // The numbers are the contract between the two verifiers: the same table in both.
  const codes = (text, re) => [...text.matchAll(re)].map((m) => `${m[1]}=${m[2]}`).join(" ");
  const ts = codes(readFileSync(join(root, "src", "pkg", "errors.ts"), "utf8"), /(FWX_PKG_E_\w+): (\d+)/g);
  const c = codes(readFileSync(join(runtime, "fwx_pkg_verify.h"), "utf8"), /(FWX_PKG_E_\w+) = (\d+),/g).split(" ").filter((e) => Number(e.split("=")[1]) < 100).join(" ");
  if (ts !== c || !ts.includes("FWX_PKG_E_ROLLBACK=25")) fail("fwx_pkg_verify.h numbers every FWX_PKG_E_* code as src/pkg/errors.ts does", `TypeScript: ${ts}\nC:          ${c}`);
  else pass();

  for (const std of ["c99", "c11"]) {
    const results = await Promise.all([...sources, port].map((src) =>
      objects.compile([...ctx.strictFor(std), ...includes], src).then((r) => ({ src, r }))));
    const bad = results.filter(({ r }) => r.status !== 0 || r.err.trim() !== "");
    if (bad.length) fail(`package verifier compiles as ${std} with ${STRICT.join(" ")}`, bad.map(({ src, r }) => `${rel(src)}:\n${r.err}`).join("\n"));
    else pass();
  }

  const corpus = join(build, "pkg-corpus.txt");
  const harness = join(build, "pkg_harness");
  // The codes-only build (-DFWX_PKG_DIAGNOSTICS=0: no `what` texts, about 3 KiB less flash) must give the same codes and offsets.
  const terse = join(build, "pkg_harness_terse");
  const [gen, cc, ccTerse] = await Promise.all([
    // Deterministic, so kept while its sources are unchanged (tests/c/generator-cache.mjs).
    cachedGenerate({ root, cacheDir: join(build, "generated"), entry: join(root, "tests", "c", "pkg", "corpus.ts"), out: corpus,
      generate: () => exec("timeout", ["300", process.execPath, ...CHILD_NODE_FLAGS, join(root, "scripts", "run-ts.mjs"), join(root, "tests", "c", "pkg", "corpus.ts"), corpus]) }),
    objects.build([...SANITIZE, ...includes], [...sources, join(firmware, "fwx_support.c"), port, join(root, "tests", "c", "pkg", "pkg_harness.c")], harness, { linkArgs: ["-lsodium"] }),
    objects.build(["-std=c99", "-O2", "-DFWX_PKG_DIAGNOSTICS=0", ...includes], [...sources, join(firmware, "fwx_support.c"), port, join(root, "tests", "c", "pkg", "pkg_harness.c")], terse, { linkArgs: ["-lsodium"] }),
  ]);
  if (gen.status !== 0) return fail("tests/c/pkg/corpus.ts writes the corpus from verifyPackage", gen.err || gen.out);
  pass();
  if (cc.status !== 0) return fail("the package verifier harness builds with ASan + UBSan", cc.err);
  pass();
  await compareCorpus(harness, corpus, { limitS: 600, claim: "the C verifier gives the TypeScript verdict for every corpus entry (sanitized)" });
  if (ccTerse.status !== 0) return fail("the package verifier harness builds with -DFWX_PKG_DIAGNOSTICS=0", ccTerse.err);
  await compareCorpus(terse, corpus, { limitS: 600, label: "codes only: ", claim: "the codes-only C verifier (-DFWX_PKG_DIAGNOSTICS=0) gives the TypeScript verdict for every corpus entry" });
}
