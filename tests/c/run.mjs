#!/usr/bin/env node
// The C test suite (part of `npm test`). Uses the checked-in firmware/ and
// tests/c/generated/ as they are (regenerating is `npm run gen`'s job, and
// `gen --check` fails when they are stale), then:
//   1. makes sure gcc with ASan/UBSan is there (scripts/ensure-gcc.mjs);
//   2. compiles firmware/*.c as C99 and C11 with -Wall -Wextra -Werror
//      -pedantic -Wconversion -Wshadow at -O2 (what embedded builds use);
//   3. builds the unit tests and the module-check tool with
//      -fsanitize=address,undefined -fno-sanitize-recover=all, and runs them;
//   4. checks hand-assembled wasm modules and the built examples with the
//      firmware's install-time module check, comparing each verdict.
// Prints one JSON line {"suite":"c","passed":N,"failed":M} and then, as its
// last line, exactly "N passed, N failed". Exit 1 if anything failed.
// Build output goes to tests/c/build/ (gitignored). Objects are compiled one
// source at a time through tests/c/object-cache.mjs, which reuses an object
// while everything it was compiled from reads the same (checked first, by
// object-cache-check.mjs).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureGcc } from "../../scripts/ensure-gcc.mjs";
import { fixtures, wellFormed } from "./wasm-fixtures.mjs";
import { createObjectCache } from "./object-cache.mjs";
import { checkGeneratorCache, checkObjectCache } from "./object-cache-check.mjs";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const build = join(here, "build");
const wasmDir = join(build, "wasm");
const firmware = join(root, "firmware");
const rel = (p) => relative(root, p);

let passed = 0;
let failed = 0;
const pass = () => passed++;
const fail = (what, detail = "") => {
  failed++;
  console.log(`FAIL ${what}${detail ? `\n  ${detail.trim().split("\n").join("\n  ")}` : ""}`);
};

function finish() {
  console.log(JSON.stringify({ suite: "c", passed, failed }));
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

// No command of the C lane may hang it: one still running after this long (a compile, a test
// executable, a fixture generator) is killed, and the check that ran it fails by name.
// The longest command takes about 40 s on a loaded 2-core machine.
const COMMAND_LIMIT_MS = 300_000;

/**
 * Runs a command asynchronously, capturing output (two compiles at a time on two cores). A
 * command still running after `timeoutMs` is killed and its `err` ends with a line saying so.
 */
function exec(cmd, args, timeoutMs = COMMAND_LIMIT_MS) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let killed = false;
    const timer = timeoutMs > 0 ? setTimeout(() => { killed = true; child.kill("SIGKILL"); }, timeoutMs) : null;
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", (e) => resolveRun({ status: 127, out, err: err + e.message }));
    child.on("close", (status) => {
      if (timer) clearTimeout(timer);
      resolveRun({ status: status ?? 1, out, err: killed ? `${err}\nkilled after ${timeoutMs / 1000} s\n` : err });
    });
  });
}

const STRICT = ["-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes"];
/**
 * The strict flags of a C99/C11 pair over the same sources and options. C11 compiles at -O2: some
 * warnings come from the optimiser, which needs the code generated. C99 is checked by gcc's front end
 * alone (-fsyntax-only, a quarter of the CPU): the two differ only there, the language each accepts,
 * as long as no source's text depends on the standard (__STDC_VERSION__), which is checked below.
 */
const strictFor = (std) => [`-std=${std}`, ...STRICT, ...(std === "c99" ? ["-fsyntax-only"] : [])];
// -g1 (line tables only): sanitizer reports still name file and line, and the lane's compiles
// take a quarter less CPU than with full debug information (cold: 105 -> 79 CPU-s on 2 cores).
// -Og, not -O1: gcc's optimiser is most of a sanitized compile's cost (fwx_module_check.c: 2.05 s
// at -O1, 0.58 at -Og, 0.28 at -O0), and the sanitizers check the same accesses at any level. The
// lane alone, cold, on 2 cores: compiles 48 -> 33 CPU-s, the harnesses 15.6 -> 16.5 CPU-s; -O0
// compiled in 23 but ran in 25.5, and -Og keeps warm runs (objects reused) as fast as -O1's.
const SANITIZE = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g1", "-Og", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"];
const INCLUDES = ["-I", firmware, "-I", here, "-I", join(here, "fake_wasm3")];

const firmwareSources = readdirSync(firmware).filter((f) => f.endsWith(".c")).sort().map((f) => join(firmware, f));
const testSources = ["fake_wasm3/fake_wasm3.c", "fake_wasm3/fake_guest.c", "generated/fwx_test_abi.c", "test_main.c", "test_glue.c", "test_glue_hostile.c", "test_support.c", "test_link_check.c"].map((f) => join(here, f));

try {
  ensureGcc();
  pass();
} catch (e) {
  fail("gcc with AddressSanitizer and UBSan is available", e.message);
  finish();
}

// Compiled objects, shared between the suites and kept between runs (tests/c/object-cache.mjs).
const objects = createObjectCache({ root, dir: join(build, "objects"), exec });
await checkObjectCache({ build, exec, pass, fail });
await checkGeneratorCache({ root, build, exec, pass, fail });

rmSync(wasmDir, { recursive: true, force: true });
mkdirSync(wasmDir, { recursive: true });

// Strict compiles of the firmware sources, one object per standard.
const strict = await Promise.all(["c99", "c11"].map(async (std) => {
  const results = await Promise.all(firmwareSources.map((src) => objects.compile([...strictFor(std), ...INCLUDES], src)));
  return { std, results };
}));
for (const { std, results } of strict) {
  const bad = results.map((r, i) => ({ r, src: firmwareSources[i] })).filter(({ r }) => r.status !== 0);
  if (bad.length) fail(`firmware/*.c compiles as ${std} with ${strictFor(std).slice(1).join(" ")}`, bad.map(({ src, r }) => `${rel(src)}:\n${r.err}`).join("\n"));
  else pass();
}
// What lets strictFor check C99 with the front end alone: no firmware file reads differently by standard.
const versioned = readdirSync(firmware, { recursive: true, encoding: "utf8" })
  .filter((f) => /\.[ch]$/.test(f) && readFileSync(join(firmware, f), "latin1").includes("__STDC_VERSION__"));
if (versioned.length) fail("no firmware source tests __STDC_VERSION__ (the strict C99 checks are syntax-only: strictFor)", versioned.join("\n"));
else pass();

const unitExe = join(build, "fwx_c_tests");
const toolExe = join(build, "check_tool");
const moduleCheckSources = ["fwx_abi_tables.c", "fwx_abi_section.c", "fwx_module_check.c", "fwx_code_check.c", "fwx_module_check_text.c", "fwx_support.c"].map((f) => join(firmware, f));
const [unitBuild, toolBuild] = await Promise.all([
  objects.build([...SANITIZE, ...INCLUDES], [...firmwareSources, ...testSources], unitExe),
  objects.build([...SANITIZE, ...INCLUDES], [...moduleCheckSources, join(here, "check_tool.c")], toolExe),
]);
if (unitBuild.status !== 0) fail("C unit tests build with ASan/UBSan", unitBuild.err);
else pass();
if (toolBuild.status !== 0) fail("check_tool builds with ASan/UBSan (without wasm3)", toolBuild.err);
else pass();
if (unitBuild.status !== 0 || toolBuild.status !== 0) finish();

// Modules to check: the hand-assembled fixtures, the device agent's hostile
// modules (written by agent-fixtures.ts, which shares the agent tests' builders)
// and the examples, built with the CLI.
const fixtureList = fixtures();
for (const f of fixtureList) writeFileSync(join(wasmDir, `${f.name}.wasm`), f.bytes);
const agentDump = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts", "run-ts.mjs"), join(here, "agent-fixtures.ts"), wasmDir], { cwd: root, encoding: "utf8", timeout: COMMAND_LIMIT_MS });
if (agentDump.status !== 0) fail("the device agent's hostile modules are written", `${agentDump.stdout}${agentDump.stderr}`);
else fixtureList.push(...JSON.parse(agentDump.stdout));
const examples = [];
const cli = join(root, "dist", "cli.js");
const examplesDir = join(root, "examples");
for (const name of existsSync(examplesDir) ? readdirSync(examplesDir).sort() : []) {
  if (!existsSync(join(examplesDir, name, "fwx.json"))) continue;
  const out = join(wasmDir, `example-${name}.wasm`);
  if (!existsSync(cli)) {
    fail(`example ${name} builds`, `${rel(cli)} is missing: run \`npm run build\` first`);
    continue;
  }
  const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, cli, "build", join("examples", name), "-o", out], { cwd: root, encoding: "utf8", timeout: COMMAND_LIMIT_MS });
  if (r.status !== 0 || !existsSync(out)) fail(`example ${name} builds with \`fwx build\``, `${r.stdout}${r.stderr}`);
  else {
    pass();
    examples.push({ name, path: out });
  }
}

// The unit tests, with the well-formed modules for the truncation/corruption sweep.
const sweep = [...wellFormed().map((f) => join(wasmDir, `${f.name}.wasm`)), ...examples.map((e) => e.path)];
const unit = await exec(unitExe, sweep);
process.stdout.write(unit.out.split("\n").filter((l) => !l.startsWith("{") && !/^\d+ passed, \d+ failed$/.test(l)).join("\n"));
const counts = /^\{"suite":"c-unit","passed":(\d+),"failed":(\d+)\}$/m.exec(unit.out);
if (!counts) fail("C unit tests report their counts", `exit ${unit.status}\n${unit.out.slice(-2000)}${unit.err.slice(-4000)}`);
else {
  passed += Number(counts[1]);
  failed += Number(counts[2]);
  if (unit.status !== 0 && Number(counts[2]) === 0) fail("C unit tests exit 0", unit.err.slice(-4000));
}

/** Whether `actual` has every field of `expected` (arrays: same length, element-wise subset). */
function mismatch(actual, expected, path = "") {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} entries, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(actual[i], expected[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected && typeof expected === "object") {
    for (const [k, v] of Object.entries(expected)) {
      const m = mismatch(actual?.[k], v, path ? `${path}.${k}` : k);
      if (m) return m;
    }
    return null;
  }
  return actual === expected ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

// The module check on every fixture and example.
const paths = [...fixtureList.map((f) => join(wasmDir, `${f.name}.wasm`)), ...examples.map((e) => e.path)];
const tool = await exec(toolExe, paths);
const reports = new Map();
for (const line of tool.out.split("\n").filter(Boolean)) {
  try {
    const r = JSON.parse(line);
    reports.set(r.file, r);
  } catch {
    fail("check_tool prints JSON", line);
  }
}
if (tool.status !== 0) fail("check_tool exits 0", tool.err.slice(-4000));
for (const f of fixtureList) {
  const r = reports.get(join(wasmDir, `${f.name}.wasm`));
  const m = r ? mismatch(r, f.expect) : "no report";
  if (m) fail(`module check: ${f.name}`, `${m}\n${JSON.stringify(r)}`);
  else pass();
}
// The crash-report locator (fwx_wasm_function_at) against the TypeScript reader: every function's code range.
const accepted = paths.filter((p) => reports.get(p)?.accepted);
const ranges = await exec("timeout", ["120", process.execPath, ...CHILD_NODE_FLAGS, join(root, "scripts", "run-ts.mjs"), join(here, "function-ranges.ts"), ...accepted]);
let tsRanges = {};
try {
  tsRanges = JSON.parse(ranges.out);
} catch {
  fail("tests/c/function-ranges.ts prints the reader's function ranges", ranges.err || ranges.out);
}
for (const path of accepted) {
  const r = reports.get(path);
  const want = tsRanges[path];
  if (!want) continue;
  if (JSON.stringify(r.functions) !== JSON.stringify(want)) fail(`fwx_wasm_function_at agrees with src/wasm/reader.ts on ${rel(path)}`, `C: ${JSON.stringify(r.functions)}\nTS: ${JSON.stringify(want)}`);
  else pass();
}
for (const e of examples) {
  const r = reports.get(e.path);
  const m = r ? mismatch(r, { accepted: true, error: "ok", hasAbiSection: true, exports: { fwx_init: "ok" } }) : "no report";
  const rejected = r?.imports?.filter((i) => i.verdict !== "ok").map((i) => `${i.module}.${i.name}: ${i.verdict}`) ?? [];
  if (m || rejected.length || !r.imports.length) fail(`module check accepts example ${e.name}`, `${m ?? ""}\n${rejected.join("\n")}\n${JSON.stringify(r)}`);
  else pass();
}

// Further suites, one file each under tests/c/suites/ (the device runtime's
// parts and anything else that builds its own C), run in name order. Each
// exports `default async function (ctx)` and reports through ctx.pass/ctx.fail.
const suitesDir = join(here, "suites");

/**
 * Runs a differential harness on its corpus under a time limit (a hang on hostile input becomes a named
 * failure). It passes `claim` when the harness exits 0 and its last line ends " 0 mismatches", and prints
 * that line after `label`; otherwise it fails `claim` with the harness's output.
 */
async function compareCorpus(harness, corpus, { limitS, claim, label = "" }) {
  const run = await exec("timeout", [String(limitS), harness, corpus]);
  const summary = run.out.trim().split("\n").pop() ?? "";
  if (run.status !== 0 || !/ 0 mismatches$/.test(summary)) return fail(claim, `${run.err.slice(0, 6000)}\n${run.out.slice(0, 6000)}\nexit ${run.status}`);
  console.log(`${label}${summary}`);
  pass();
}

const suiteContext = { root, here, build, firmware, wasmDir, exec, objects, pass, fail, rel, STRICT, strictFor, SANITIZE, INCLUDES, examples, compareCorpus };
for (const file of existsSync(suitesDir) ? readdirSync(suitesDir).filter((f) => f.endsWith(".mjs")).sort() : []) {
  console.log(`--- C suite ${file}`);
  const t0 = performance.now();
  try {
    const suite = await import(join(suitesDir, file));
    await suite.default(suiteContext);
  } catch (e) {
    fail(`C suite ${file} runs to the end`, e?.stack ?? String(e));
  }
  console.log(`    (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
objects.prune();
console.log(`compiled objects: ${objects.stats.misses} compiled, ${objects.stats.hits} reused from earlier runs, ${objects.stats.shared} shared between suites, ${objects.stats.unaffected} taken from a compile whose -D options they do not read`);

finish();
