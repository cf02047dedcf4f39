#!/usr/bin/env node
// Regenerates tests/corpus/spec/: the binary modules of the WebAssembly spec
// test suite (github.com/WebAssembly/testsuite, core .wast files at the top
// level), converted with wabt's wast2json (Debian `wabt`). Only the converted
// .wasm binaries are committed, never the .wast sources; the suite's commit is
// recorded in tests/corpus/spec/SOURCE. Usage:
//   node scripts/convert-spec-corpus.mjs /path/to/testsuite
// Each distinct binary is kept once, named <wast>.<kind>.<n>.wasm, kind being
// module (valid), invalid (assert_invalid) or malformed (assert_malformed).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const suite = process.argv[2];
if (!suite) {
  console.error("usage: node scripts/convert-spec-corpus.mjs <testsuite checkout>");
  process.exit(2);
}
const out = join(root, "tests", "corpus", "spec");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), "fwx-spec-"));
const seen = new Set();
let kept = 0, skipped = 0;
const KIND = { module: "module", assert_invalid: "invalid", assert_malformed: "malformed", assert_unlinkable: "module", assert_uninstantiable: "module", assert_trap: "module" };
for (const wast of readdirSync(suite).filter((f) => f.endsWith(".wast")).sort()) {
  const name = basename(wast, ".wast");
  const json = join(tmp, `${name}.json`);
  let r = spawnSync("wast2json", [join(suite, wast), "-o", json], { encoding: "utf8" });
  if (r.status !== 0) r = spawnSync("wast2json", ["--enable-all", join(suite, wast), "-o", json], { encoding: "utf8" });
  if (r.status !== 0) { skipped++; continue; }
  const commands = JSON.parse(readFileSync(json, "utf8")).commands;
  let n = 0;
  for (const c of commands) {
    const kind = KIND[c.type];
    if (!kind || !c.filename?.endsWith(".wasm") || (c.module_type && c.module_type !== "binary")) continue;
    const bytes = readFileSync(join(tmp, c.filename));
    const hash = createHash("sha256").update(bytes).digest("hex");
    if (seen.has(hash)) continue;
    seen.add(hash);
    writeFileSync(join(out, `${name}.${kind}.${n++}.wasm`), bytes);
    kept++;
  }
}
rmSync(tmp, { recursive: true, force: true });
const commit = spawnSync("git", ["-C", suite, "rev-parse", "HEAD"], { encoding: "utf8" }).stdout.trim() || "unknown";
const wabt = spawnSync("wast2json", ["--version"], { encoding: "utf8" }).stdout.trim();
writeFileSync(join(out, "SOURCE"), `github.com/WebAssembly/testsuite ${commit}\nconverted with wast2json ${wabt}\n${kept} binaries; ${skipped} .wast files wast2json could not convert\n`);
console.log(`${kept} binaries written to ${out} (${skipped} .wast files skipped)`);
