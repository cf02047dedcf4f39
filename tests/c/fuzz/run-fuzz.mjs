#!/usr/bin/env node
// Builds one harness of tests/c/fuzz/ with clang's libFuzzer + ASan + UBSan
// and runs it on a scratch copy of its seed corpus (new inputs never land in
// the repository). Usage:
//   node tests/c/fuzz/run-fuzz.mjs <harness> [libFuzzer options...]
// e.g. node tests/c/fuzz/run-fuzz.mjs cbor -max_total_time=120
// Needs clang and its libFuzzer runtime (Debian: libclang-rt-<major>-dev),
// installed here through apt when missing, as the ensure-* scripts do.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { aptAvailable, aptInstall } from "../../../scripts/apt.mjs";
import { ensureClangWasm } from "../../../scripts/ensure-wasm-compilers.mjs";
import { HARNESSES } from "./harnesses.mjs";

/** Whether clang links a libFuzzer target here. */
function linksFuzzer() {
  const dir = mkdtempSync(join(tmpdir(), "fwx-fuzz-probe-"));
  try {
    writeFileSync(join(dir, "p.c"), "#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n");
    return spawnSync("clang", ["-fsanitize=fuzzer", join(dir, "p.c"), "-o", join(dir, "p")], { stdio: "ignore", timeout: 120_000 }).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** clang with its libFuzzer runtime, installed from Debian's packages when missing. */
function ensureLibFuzzer() {
  ensureClangWasm();
  if (linksFuzzer()) return;
  const major = spawnSync("clang", ["-dumpversion"], { encoding: "utf8" }).stdout.trim().split(".")[0];
  const pkg = `libclang-rt-${major}-dev`;
  if (!aptAvailable() || !aptInstall([pkg], (line) => console.error(`run-fuzz: ${line}`)) || !linksFuzzer()) {
    console.error(`run-fuzz: clang cannot link a libFuzzer target (-fsanitize=fuzzer): install ${pkg}`);
    process.exit(1);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..", "..");
const [name, ...rest] = process.argv.slice(2);
const h = HARNESSES[name];
if (!h) {
  console.error(`usage: run-fuzz.mjs <${Object.keys(HARNESSES).join("|")}> [libFuzzer options]`);
  process.exit(2);
}
ensureLibFuzzer();
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
