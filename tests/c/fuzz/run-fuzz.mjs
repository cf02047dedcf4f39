#!/usr/bin/env node
// Builds one harness of tests/c/fuzz/ with clang's libFuzzer + ASan + UBSan
// and runs it on a scratch copy of its seed corpus (new inputs never land in
// the repository). Usage:
//   node tests/c/fuzz/run-fuzz.mjs <harness> [libFuzzer options...]
// e.g. node tests/c/fuzz/run-fuzz.mjs cbor -max_total_time=120
// Needs clang 14 and libclang-rt-14-dev (apt-get install libclang-rt-14-dev).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HARNESSES } from "./harnesses.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..", "..");
const [name, ...rest] = process.argv.slice(2);
const h = HARNESSES[name];
if (!h) {
  console.error(`usage: run-fuzz.mjs <${Object.keys(HARNESSES).join("|")}> [libFuzzer options]`);
  process.exit(2);
}
const out = join(root, "tests", "c", "build", "fuzz", name);
mkdirSync(out, { recursive: true });
const exe = join(out, `fuzz_${name}`);
const firmware = join(root, "firmware");
const args = ["-g", "-O1", "-std=c11", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
  "-I", firmware, "-I", join(firmware, "runtime"), "-I", join(root, "tests", "c"), ...(h.includes ?? []).map((i) => ["-I", join(root, "tests", "c", i)]).flat(),
  ...(h.defines ?? []), ...h.sources.map((s) => join(firmware, s)), ...(h.tests ?? []).map((s) => join(root, "tests", "c", s)),
  join(here, `fuzz_${name}.c`), "-o", exe, ...(h.libs ?? [])];
const cc = spawnSync("clang", args, { stdio: "inherit" });
if (cc.status !== 0) process.exit(1);
const corpus = join(out, "corpus");
mkdirSync(corpus, { recursive: true });
const seeds = join(here, "corpus", name);
if (existsSync(seeds)) cpSync(seeds, corpus, { recursive: true });
const dict = join(here, `${name}.dict`);
const run = spawnSync(exe, [...(existsSync(dict) ? [`-dict=${dict}`] : []), `-artifact_prefix=${out}/`, ...rest, corpus], { stdio: "inherit" });
process.exit(run.status ?? 1);
