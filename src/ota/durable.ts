// Durable file writes for the device state directory. Same discipline as
// src/pkg/atomic.ts (temp file, fsync, rename, fsync the directory) but with
// a crash hook between the steps, so power-loss tests can stop the process
// after the temp file is durable and before or after it replaces the old one.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export type StepHook = (step: "temp-written" | "renamed") => void;

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

function writeAll(fd: number, data: Uint8Array, position: number | null = null): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position === null ? null : position + done);
}

export { writeAll };

/** Replaces `path` with `data` so that after a crash at any instant it holds the old or the new contents. */
export function writeDurable(path: string, data: Uint8Array | string, hook?: StepHook): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // A fixed temp name: a crash leaves at most one stale temp per file, which the next write replaces.
  const tmp = join(dir, `.${basename(path)}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  hook?.("temp-written");
  renameSync(tmp, path);
  fsyncDir(dir);
  hook?.("renamed");
}

export function removeDurable(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    return;
  }
  fsyncDir(dirname(path));
}

export function removeTreeDurable(path: string): void {
  rmSync(path, { recursive: true, force: true });
  fsyncDir(dirname(path));
}
