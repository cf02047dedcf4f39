// Config numbers on the C device against the Node agent: tests/c/config/corpus.ts
// writes numbers as operators type them for `fwx config set`, with what the Node
// agent's check (src/ota/config-values.ts) keeps or why it refuses; the C device's
// reader (firmware/runtime/device/fwx_config_number.c), built with ASan + UBSan,
// must give the same answer and the same text for every one, so a module reads
// the same setting on either device.
import { join } from "node:path";
import { CHILD_NODE_FLAGS } from "../../support/child-node.mjs";

export default async function config(ctx) {
  const { root, build, firmware, exec, objects, pass, fail, rel, STRICT, SANITIZE, compareCorpus } = ctx;
  const runtime = join(firmware, "runtime");
  const device = join(runtime, "device");
  const includes = ["-I", firmware, "-I", runtime, "-I", device];
  const mine = join(device, "fwx_config_number.c");
  const strict = await objects.compile(["-std=c99", ...STRICT, ...includes], mine);
  if (strict.status !== 0 || strict.err.trim() !== "") fail(`${rel(mine)} compiles as C99 with ${STRICT.join(" ")}`, strict.err);
  else pass();

  const corpus = join(build, "config-number-corpus.txt");
  const harness = join(build, "config_number_harness");
  const [gen, cc] = await Promise.all([
    exec("timeout", ["120", process.execPath, ...CHILD_NODE_FLAGS, join(root, "scripts", "run-ts.mjs"), join(root, "tests", "c", "config", "corpus.ts"), corpus]),
    objects.build([...SANITIZE, ...includes], [mine, join(runtime, "fwx_text.c"), join(root, "tests", "c", "config", "config_number_harness.c")], harness),
  ]);
  if (gen.status !== 0) return fail("tests/c/config/corpus.ts writes the config-number corpus", gen.err || gen.out);
  pass();
  if (cc.status !== 0) return fail("the config-number harness builds with ASan + UBSan", cc.err);
  pass();
  await compareCorpus(harness, corpus, { limitS: 120, label: "config: ", claim: "the C device reads and keeps every config number as the Node agent does (sanitized)" });
}
