#!/usr/bin/env node
// `npm test`: every suite the project has, then one closing line
// `N passed, N failed` that sums them all. Exits non-zero if anything failed,
// including a suite that could not report its counts.
//
// The bundle comes first (the tests drive dist/cli.js, and a stale dist/ would
// test old code). Then every suite runs at the same time: vitest spends much of
// its time waiting on brokers, devices and health windows, and the C suites,
// as-pect and the type checks fill those gaps on the same two cores. vitest's
// output streams as it runs; each other suite's output is printed whole, in a
// fixed order, when it is done, so the log reads as if they ran one by one.
//
// Every suite runs with TMPDIR set to one fresh directory, which must be empty
// when all are done: a test that leaves files behind fails the run by name
// (the check "temporary files removed"), instead of filling a developer's /tmp
// run after run. The directory is removed either way. The same check covers the
// CLI bundle vitest's global setup builds under node_modules/.cache/fwx-ota-tests
// (2 MB each, and 155 had piled up here when every test file made its own), and
// the preparation worker's bundle, which is shared: a run adds at most one.

import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { CHILD_NODE_FLAGS } from "../tests/support/child-node.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const node = process.execPath;
// Made before any suite starts, so nothing of ours is in it (vitest's report goes to the real temp dir).
const suiteTmp = mkdtempSync(join(tmpdir(), "fwx-test-tmp-"));
// The one thing tests must write inside the repository: the CLI bundle their agents run
// (tests/support/cli-bundle.global.ts), which resolves the project's dependencies from
// node_modules. The global setup removes it; what is new here after the run was left behind.
const cliBundles = join(root, "node_modules", ".cache", "fwx-ota-tests");
/** The names in a directory, none when it does not exist. */
const namesIn = (dir) => (existsSync(dir) ? readdirSync(dir) : []);
const bundlesBefore = new Set(namesIn(cliBundles));
// The preparation worker bundled from the sources (src/agent/prepare-pool.ts) is named by its content
// and shared by every process of the run: a run adds at most one (none when the sources are unchanged).
const workerBundles = join(root, "node_modules", ".cache", "fwx-prepare-worker");
const workerBundlesBefore = new Set(namesIn(workerBundles));
// Open to every user as /tmp is (sticky): some tests run tools as another user (PostgreSQL's initdb
// as postgres, the PWM tests as a non-root user), who must reach their own directories in it.
chmodSync(suiteTmp, 0o1777);
const bin = (name) => join(root, "node_modules", ".bin", name);
// The type checks use TypeScript 7, the native compiler (installed as `typescript-7`, run by path
// because both versions call their command `tsc`): the same checks as 5.9 at a quarter of the CPU
// (measured on 2 cores: 14.9 -> 3.8 CPU-s for the sources, 2.8 -> 0.45 for the console). TypeScript
// 5.9 stays the `typescript` package: a scaffolded module's editor and type check need it (the
// scaffold tests install it from here, tests/build/link-install.ts), because 7 rejects
// AssemblyScript's std (its types declare `Number` as an alias; its tsconfig sets `baseUrl` and
// `downlevelIteration`, which 7 removed).
const tsc = join(root, "node_modules", "typescript-7", "bin", "tsc");

/**
 * Runs a command; resolves with its exit status, its output and its wall time. With `stream`,
 * the output goes to ours as it comes; otherwise it is kept for the caller to print.
 */
function run(cmd, args, { stream = false } = {}) {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: root, stdio: stream ? "inherit" : ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0", TMPDIR: suiteTmp } });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    const end = (status) => done({ status, output, seconds: (performance.now() - t0) / 1000 });
    child.on("error", (e) => {
      output += `${cmd}: ${e.message}\n`;
      end(127);
    });
    child.on("close", (status) => end(status ?? 1));
  });
}

/** A check that is one pass or one fail. */
async function single(name, cmd, args) {
  const r = await run(cmd, args);
  return { name, heading: name, ...r, passed: r.status === 0 ? 1 : 0, failed: r.status === 0 ? 0 : 1 };
}

async function vitest() {
  const heading = "TypeScript tests (vitest)";
  console.log(`\n=== ${heading} (the other suites run meanwhile; their output follows)`);
  const dir = mkdtempSync(join(tmpdir(), "fwx-vitest-"));
  const report = join(dir, "report.json");
  try {
    const r = await run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], { stream: true });
    const base = { name: "vitest", seconds: r.seconds, output: "", streamed: true };
    if (!existsSync(report)) return { ...base, passed: 0, failed: 1 };
    const j = JSON.parse(readFileSync(report, "utf8"));
    // A suite that fails to load has no tests but must still count as a failure.
    const failedSuites = (j.testResults ?? []).filter((t) => t.status === "failed" && (t.assertionResults ?? []).length === 0).length;
    const failed = j.numFailedTests + failedSuites + (r.status !== 0 && j.numFailedTests + failedSuites === 0 ? 1 : 0);
    return { ...base, passed: j.numPassedTests, failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function aspect() {
  // as-pect's runner, started as `fwx test` starts it (src/commands/test.ts says why not through `asp`),
  // with the flags of every process the tests start (tests/support/child-node.mjs): its compiles run
  // binaryen, whose optimised code does not pay for itself in a run this short (7.5 -> 6.2 CPU-s).
  const runner = join(root, "node_modules", "@as-pect", "cli", "lib", "test.js");
  const r = await run(node, [...CHILD_NODE_FLAGS, "--experimental-wasi-unstable-preview1", runner, "--config", "as-pect.config.js"]);
  const result = { name: "as-pect", heading: "AssemblyScript tests (as-pect: the SDK's specs and every example's)", ...r };
  // as-pect colours its summary even with FORCE_COLOR=0; its line is "[Tests]: passed / total".
  const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(r.output.replace(/\x1b\[[0-9;]*m/g, ""));
  if (!m) return { ...result, passed: 0, failed: 1 }; // a compile error prints no summary
  const passed = Number(m[1]);
  const failed = Number(m[2]) - passed;
  return { ...result, passed, failed: failed + (r.status !== 0 && failed === 0 ? 1 : 0) };
}

async function cTests() {
  const r = await run(node, [join(root, "tests", "c", "run.mjs")]);
  const result = { name: "c", heading: "C tests (generated wasm3 glue, the device runtime; gcc + ASan/UBSan)", ...r };
  const lines = r.output.trim().split("\n");
  const m = /^(\d+) passed, (\d+) failed$/.exec(lines[lines.length - 1] ?? "");
  if (!m) return { ...result, passed: 0, failed: 1 };
  return { ...result, passed: Number(m[1]), failed: Number(m[2]) + (r.status !== 0 && Number(m[2]) === 0 ? 1 : 0) };
}

/** Prints a suite's kept output under its heading. */
function report(r) {
  if (r.streamed) return;
  console.log(`\n=== ${r.heading}`);
  process.stdout.write(r.output.endsWith("\n") || r.output === "" ? r.output : `${r.output}\n`);
}

const t0 = performance.now();
const bundle = await single("bundle (npm run build)", node, [join(root, "scripts", "bundle-cli.mjs")]);
report(bundle);
const results = [bundle];
if (bundle.failed) {
  console.log("\nthe bundle failed: nothing else can run on a stale dist/");
} else {
  // Started together; the kept outputs print in this order as each one and all before it are done.
  const others = [
    single("type check (tsc --noEmit)", node, [tsc, "--noEmit"]),
    single("type check of the fleet console (tsc --noEmit -p console)", node, [tsc, "--noEmit", "-p", "console"]),
    single("generated files are fresh (npm run gen -- --check)", node, [join(root, "scripts", "run-ts.mjs"), "host-abi/gen/main.ts", "--check"]),
    aspect(),
    cTests(),
  ];
  const ts = await vitest();
  results.push(ts);
  for (const pending of others) {
    const r = await pending;
    report(r);
    results.push(r);
  }
}

{
  // Only meaningful when every suite ran to the end; after a stale bundle nothing ran.
  const t = performance.now();
  const left = readdirSync(suiteTmp);
  rmSync(suiteTmp, { recursive: true, force: true });
  const bundlesLeft = namesIn(cliBundles).filter((b) => !bundlesBefore.has(b));
  for (const b of bundlesLeft) rmSync(join(cliBundles, b), { recursive: true, force: true });
  const newWorkerBundles = namesIn(workerBundles).filter((b) => !workerBundlesBefore.has(b));
  const name = "temporary files removed";
  const output = [
    left.length === 0 ? "" : `left in TMPDIR by the tests (each test must remove what it makes): ${left.sort().join(", ")}\n`,
    bundlesLeft.length === 0 ? "" : `CLI bundles left in ${relative(root, cliBundles)} (a test file that calls bundleCli must call removeCliBundle): ${bundlesLeft.sort().join(", ")}\n`,
    newWorkerBundles.length <= 1 ? "" : `${newWorkerBundles.length} preparation worker bundles added to ${relative(root, workerBundles)} (one, named by its content, is shared by every process): ${newWorkerBundles.sort().join(", ")}\n`,
  ].join("");
  const clean = left.length === 0 && bundlesLeft.length === 0 && newWorkerBundles.length <= 1;
  const r = { name, heading: name, output, seconds: (performance.now() - t) / 1000, passed: clean ? 1 : 0, failed: clean ? 0 : 1 };
  if (!bundle.failed) {
    report(r);
    results.push(r);
  }
}

console.log("\n=== summary");
for (const r of results) console.log(`  ${r.name.padEnd(52)} ${r.passed} passed, ${r.failed} failed  (${r.seconds.toFixed(0)} s)`);
console.log(`  ${"all, wall time".padEnd(52)} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const passed = results.reduce((s, r) => s + r.passed, 0);
const failed = results.reduce((s, r) => s + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
