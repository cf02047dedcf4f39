// The C device's signed-command gate (firmware/runtime/fwx_command.c) and
// signed answers (fwx_statement.c, fwx_cbor_write.c) against the TypeScript
// implementation: tests/c/trust/corpus.ts writes signed commands made by
// src/ota/signed-command.ts with the decision of the Node agent's gate (the
// documented vector, every bit flip and truncation of it, generated commands
// of every op, one refusal per reason), and device statements with the TS
// encoder's bytes and proofs. The sanitized harness must agree on every one.
import { join } from "node:path";
import { ensureCLibs } from "../../../scripts/ensure-c-libs.mjs";
import { CHILD_NODE_FLAGS } from "../../support/child-node.mjs";

const RUNTIME = ["fwx_cbor.c", "fwx_pkg_fields.c", "fwx_pkg_caps.c", "fwx_command.c", "fwx_statement.c", "fwx_cbor_write.c", "fwx_json.c", "fwx_text.c"];

export default async function trust(ctx) {
  const { root, build, firmware, exec, objects, pass, fail, rel, STRICT, SANITIZE, compareCorpus } = ctx;
  const runtime = join(firmware, "runtime");
  const port = join(firmware, "ports", "posix", "fwx_crypto_sodium.c");
  const sources = RUNTIME.map((f) => join(runtime, f));
  const includes = ["-I", firmware, "-I", runtime];
  try {
    ensureCLibs();
  } catch (e) {
    fail("the C libraries of the POSIX port are installed (scripts/ensure-c-libs.mjs)", e.message);
    return;
  }
  const mine = ["fwx_command.c", "fwx_statement.c", "fwx_cbor_write.c"].map((f) => join(runtime, f));
  const strict = await Promise.all(mine.map((src) =>
    objects.compile(["-std=c99", ...STRICT, ...includes], src).then((r) => ({ src, r }))));
  const bad = strict.filter(({ r }) => r.status !== 0 || r.err.trim() !== "");
  if (bad.length) fail(`command gate and statement writer compile as C99 with ${STRICT.join(" ")}`, bad.map(({ src, r }) => `${rel(src)}:\n${r.err}`).join("\n"));
  else pass();

  const corpus = join(build, "trust-corpus.txt");
  const harness = join(build, "trust_harness");
  const [gen, cc] = await Promise.all([
    exec("timeout", ["300", process.execPath, ...CHILD_NODE_FLAGS, join(root, "scripts", "run-ts.mjs"), join(root, "tests", "c", "trust", "corpus.ts"), corpus]),
    objects.build([...SANITIZE, ...includes], [...sources, join(firmware, "fwx_support.c"), port, join(root, "tests", "c", "trust", "trust_harness.c")], harness, { linkArgs: ["-lsodium"] }),
  ]);
  if (gen.status !== 0) return fail("tests/c/trust/corpus.ts writes the signed-command corpus", gen.err || gen.out);
  pass();
  if (cc.status !== 0) return fail("the signed-command harness builds with ASan + UBSan", cc.err);
  pass();
  await compareCorpus(harness, corpus, { limitS: 300, label: "trust: ", claim: "the C gate decides every signed command as the Node agent does, and signs statements byte for byte as signStatement (sanitized)" });
}
