#!/usr/bin/env node
// `npm test`: every suite the project has, one after another, then one
// closing line `N passed, N failed` that sums them all. Exits non-zero if
// anything failed, including a suite that could not report its counts.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const node = process.execPath;
const bin = (name) => join(root, "node_modules", ".bin", name);

/** Runs a command with inherited output; returns its exit status. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: opts.capture ? ["ignore", "pipe", "pipe"] : "inherit", encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", ...opts.env } });
  if (opts.capture) {
    process.stdout.write(r.stdout ?? "");
    process.stderr.write(r.stderr ?? "");
  }
  return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A check that is one pass or one fail. */
function single(name, cmd, args) {
  console.log(`\n=== ${name}`);
  const { status } = run(cmd, args);
  return { name, passed: status === 0 ? 1 : 0, failed: status === 0 ? 0 : 1 };
}

function vitest() {
  console.log("\n=== TypeScript tests (vitest)");
  const dir = mkdtempSync(join(tmpdir(), "fwx-vitest-"));
  const report = join(dir, "report.json");
  try {
    const { status } = run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]);
    if (!existsSync(report)) return { name: "vitest", passed: 0, failed: 1 };
    const r = JSON.parse(readFileSync(report, "utf8"));
    // A suite that fails to load has no tests but must still count as a failure.
    const failedSuites = (r.testResults ?? []).filter((t) => t.status === "failed" && (t.assertionResults ?? []).length === 0).length;
    const failed = r.numFailedTests + failedSuites + (status !== 0 && r.numFailedTests + failedSuites === 0 ? 1 : 0);
    return { name: "vitest", passed: r.numPassedTests, failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function aspect() {
  console.log("\n=== AssemblyScript tests (as-pect: the SDK's specs and every example's)");
  const { status, stdout, stderr } = run(bin("asp"), ["--config", "as-pect.config.js"], { capture: true });
  // as-pect colours its summary even with FORCE_COLOR=0; its line is "[Tests]: passed / total".
  const text = (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, "");
  const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(text);
  if (!m) return { name: "as-pect", passed: 0, failed: 1 }; // a compile error prints no summary
  const passed = Number(m[1]);
  const failed = Number(m[2]) - passed;
  return { name: "as-pect", passed, failed: failed + (status !== 0 && failed === 0 ? 1 : 0) };
}

function cTests() {
  console.log("\n=== C tests (generated wasm3 glue, gcc + ASan/UBSan)");
  const { status, stdout } = run(node, [join(root, "tests", "c", "run.mjs")], { capture: true });
  const lines = stdout.trim().split("\n");
  const m = /^(\d+) passed, (\d+) failed$/.exec(lines[lines.length - 1] ?? "");
  if (!m) return { name: "c", passed: 0, failed: 1 };
  const failed = Number(m[2]) + (status !== 0 && Number(m[2]) === 0 ? 1 : 0);
  return { name: "c", passed: Number(m[1]), failed };
}

const results = [];
// Tests drive the bundled CLI, so bundle first: a stale dist/ would test old code.
results.push(single("bundle (rollup)", bin("rollup"), ["-c", "--silent"]));
results.push(single("type check (tsc --noEmit)", bin("tsc"), ["--noEmit"]));
results.push(single("type check of the fleet console (tsc --noEmit -p console)", bin("tsc"), ["--noEmit", "-p", "console"]));
results.push(single("generated files are fresh (npm run gen -- --check)", node, [join(root, "scripts", "run-ts.mjs"), "host-abi/gen/main.ts", "--check"]));
results.push(vitest());
results.push(aspect());
results.push(cTests());

console.log("\n=== summary");
for (const r of results) console.log(`  ${r.name.padEnd(52)} ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((s, r) => s + r.passed, 0);
const failed = results.reduce((s, r) => s + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
