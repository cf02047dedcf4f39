// An output built once from its inputs and reused while they read the same, as
// make would say from timestamps, and shared by every process that needs it at
// the same time: the C device (build-device.mjs) and the conformance harness
// (tests/conformance/c-side.ts), which several test files use at once.
//
// The inputs are named by a digest (inputsDigest): the options as data, gcc's
// version, and every C source and header under the directories the build
// reads. `<out>.inputs` records the digest `out` was built from. One builder
// at a time per output (a lock directory beside it); the others wait and then
// reuse its result. The output is written under a temporary name and renamed,
// so a process already running it keeps its file, and a half-written one never
// sits at `out`.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** A digest of `parts` (JSON), gcc's version, each of `files`, and every .c and .h under `dirs` (absent ones skipped). */
export function inputsDigest({ parts, files = [], dirs = [] }) {
  const h = createHash("sha256");
  h.update(JSON.stringify(parts));
  h.update(spawnSync("gcc", ["--version"], { encoding: "utf8" }).stdout ?? "");
  for (const f of files) h.update(`${f}\0`).update(readFileSync(f)).update("\0");
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.[ch]$/.test(e.name)) h.update(`${p}\0`).update(readFileSync(p)).update("\0");
    }
  };
  for (const dir of dirs) if (existsSync(dir)) walk(dir);
  return h.digest("hex");
}

/**
 * `out`, built by `build(temp)` (which writes the output at `temp`) unless it was built from inputs
 * with digest `key` already. Returns `out`.
 */
export function buildOnce(out, key, build) {
  const keyFile = `${out}.inputs`;
  const upToDate = () => existsSync(out) && existsSync(keyFile) && readFileSync(keyFile, "utf8") === key;
  if (upToDate()) return out;
  const lock = `${out}.lock`;
  mkdirSync(dirname(out), { recursive: true });
  for (const since = Date.now(); ;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      // A builder that died leaves its lock: older than any honest build, it is taken over.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 600_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - since > 900_000) throw new Error(`${lock}: another build held this lock for 15 minutes`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (upToDate()) return out;
    const temp = `${out}.${process.pid}.tmp`;
    try {
      build(temp);
      renameSync(temp, out);
    } finally {
      rmSync(temp, { force: true });
    }
    writeFileSync(keyFile, key);
    return out;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
