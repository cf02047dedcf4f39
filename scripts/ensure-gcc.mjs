#!/usr/bin/env node
// Makes sure gcc, with the AddressSanitizer and UBSan runtimes, is available
// for the C tests (tests/c/run.mjs). Installs Debian's `gcc` package when it
// is missing (it pulls in libasan and libubsan through libgcc-N-dev; see
// scripts/apt.mjs). Nothing installed by hand is assumed. Usable as a module (`ensureGcc()`) or run directly: exit 0 when
// gcc and both sanitizers work afterwards, 1 otherwise.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptAvailable, aptInstall } from "./apt.mjs";

const log = (msg) => console.error(`ensure-gcc: ${msg}`);

function gccVersion() {
  const r = spawnSync("gcc", ["-dumpfullversion"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Compiles and runs a tiny program under ASan + UBSan; returns an error text or null. */
function sanitizerProblem() {
  const dir = mkdtempSync(join(tmpdir(), "fwx-gcc-probe-"));
  try {
    const src = join(dir, "probe.c");
    const exe = join(dir, "probe");
    writeFileSync(src, "#include <stdlib.h>\nint main(void){int *p=malloc(sizeof *p);*p=0;int r=*p;free(p);return r;}\n");
    const c = spawnSync("gcc", ["-std=c11", "-fsanitize=address,undefined", src, "-o", exe], { encoding: "utf8" });
    if (c.status !== 0) return `gcc cannot build with -fsanitize=address,undefined:\n${c.stderr}`;
    const r = spawnSync(exe, [], { encoding: "utf8" });
    if (r.status !== 0) return `a sanitized probe program failed to run (exit ${r.status}):\n${r.stderr}`;
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ensures gcc with sanitizers; returns its version. Throws with the reason when that is impossible. */
export function ensureGcc() {
  if (gccVersion() === null) {
    if (!aptAvailable()) throw new Error("gcc is not installed and apt-get is not available; install gcc (with libasan/libubsan) with your package manager");
    aptInstall(["gcc", "libc6-dev"], log);
  }
  const version = gccVersion();
  if (version === null) throw new Error("gcc is still missing after apt-get install gcc");
  const problem = sanitizerProblem();
  if (problem) throw new Error(problem);
  return version;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    log(`gcc ${ensureGcc()} with ASan + UBSan is ready`);
  } catch (e) {
    log(e.message);
    process.exit(1);
  }
}
