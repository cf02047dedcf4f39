// Replays the seed corpus of every fuzz harness in tests/c/fuzz/ (the inputs
// that once crashed a parser, and a few valid ones to start from) through the
// harness built with gcc + ASan/UBSan, without libFuzzer: a bounded regression
// run (about a second), not a fuzz run. Fuzzing itself is
// `node tests/c/fuzz/run-fuzz.mjs <harness> -max_total_time=N` (tests/c/fuzz/README.md).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { HARNESSES } from "../fuzz/harnesses.mjs";

export default async function fuzzReplay(ctx) {
  const { root, here, build, firmware, exec, objects, pass, fail, SANITIZE } = ctx;
  const fuzz = join(here, "fuzz");
  mkdirSync(join(build, "fuzz-replay"), { recursive: true });
  const includes = ["-I", firmware, "-I", join(firmware, "runtime"), "-I", here];
  for (const [name, h] of Object.entries(HARNESSES)) {
    const exe = join(build, "fuzz-replay", `fuzz_${name}`);
    const sources = [...h.sources.map((s) => join(firmware, s)), ...(h.tests ?? []).map((s) => join(here, s)), join(fuzz, `fuzz_${name}.c`), join(fuzz, "replay_main.c")];
    const cc = await objects.build([...SANITIZE, ...includes, ...(h.includes ?? []).flatMap((i) => ["-I", join(here, i)]), ...(h.defines ?? [])],
      sources, exe, { linkArgs: h.libs ?? [] });
    if (cc.status !== 0) {
      fail(`fuzz harness ${name} builds with ASan + UBSan`, cc.err);
      continue;
    }
    const corpus = join(fuzz, "corpus", name);
    if (!existsSync(corpus)) {
      fail(`fuzz harness ${name} has a seed corpus`, `${corpus} is missing`);
      continue;
    }
    const run = await exec("timeout", ["60", exe, corpus]);
    const last = run.err.trim().split("\n").filter((l) => l.startsWith("input ")).pop() ?? "";
    if (run.status !== 0) fail(`fuzz harness ${name}: its seed corpus replays without a crash or sanitizer report`, `${last}\n${run.err.split("\n").filter((l) => !l.startsWith("input ")).join("\n").slice(-6000)}\n${run.out.slice(-2000)}\nexit ${run.status}`);
    else pass();
  }
}
