#!/usr/bin/env node
// Makes sure Debian's Cortex-M cross compiler is available for the runtime's
// footprint figures (bench/footprint.ts): `gcc-arm-none-eabi` with
// `libnewlib-arm-none-eabi` (the C library headers the runtime's <stdint.h>,
// <string.h> come from). Installs both through scripts/apt.mjs when missing.
// Usable as a module (`ensureArmGcc()`) or run directly: exit 0 when a
// Cortex-M4 -Os compile works afterwards, 1 otherwise.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptAvailable, aptInstall } from "./apt.mjs";

const log = (msg) => console.error(`ensure-arm-gcc: ${msg}`);
export const ARM_GCC = "arm-none-eabi-gcc";
export const ARM_FLAGS = ["-Os", "-mcpu=cortex-m4", "-mthumb"];

function version() {
  const r = spawnSync(ARM_GCC, ["-dumpfullversion"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Compiles a probe that includes the newlib headers the runtime uses; returns an error text or null. */
function probeProblem() {
  const dir = mkdtempSync(join(tmpdir(), "fwx-arm-probe-"));
  try {
    const src = join(dir, "probe.c");
    writeFileSync(src, "#include <stdint.h>\n#include <string.h>\nuint32_t probe(uint8_t *d, const uint8_t *s, uint32_t n);\nuint32_t probe(uint8_t *d, const uint8_t *s, uint32_t n){memcpy(d,s,n);return n;}\n");
    const r = spawnSync(ARM_GCC, [...ARM_FLAGS, "-std=c99", "-c", src, "-o", join(dir, "probe.o")], { encoding: "utf8" });
    return r.status === 0 ? null : `${ARM_GCC} cannot compile for Cortex-M4 (libnewlib-arm-none-eabi missing?):\n${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ensures the cross compiler; returns its version. Throws with the reason when that is impossible. */
export function ensureArmGcc() {
  if (version() === null || probeProblem() !== null) {
    if (!aptAvailable()) throw new Error(`${ARM_GCC} is not installed and apt-get is not available; install gcc-arm-none-eabi and libnewlib-arm-none-eabi`);
    aptInstall(["gcc-arm-none-eabi", "libnewlib-arm-none-eabi"], log);
  }
  const v = version();
  if (v === null) throw new Error(`${ARM_GCC} is still missing after apt-get install gcc-arm-none-eabi`);
  const problem = probeProblem();
  if (problem) throw new Error(problem);
  return v;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    log(`${ARM_GCC} ${ensureArmGcc()} is ready`);
  } catch (e) {
    log(e.message);
    process.exit(1);
  }
}
