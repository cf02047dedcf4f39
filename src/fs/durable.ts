// The one way fwx replaces a file: after a crash or power cut at any instant
// the path holds the old contents or the new ones, never a mix. The data goes
// to a temporary file in the same directory, is fsynced, then renamed over
// the target (or hard-linked, when an existing file must not be replaced),
// and the directory is fsynced so the rename itself survives.

import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** Where a durable write is between its steps; crash-injection tests stop the process here. */
export type DurableStep = "temp-written" | "renamed";

export interface DurableWriteOptions {
  /** File mode, applied when the temporary file is created (never widened afterwards). */
  mode?: number;
  /** Fail with EEXIST instead of replacing an existing file. */
  noClobber?: boolean;
  /** Create missing parent directories first. */
  createDirs?: boolean;
  /**
   * Reuse one temporary name per target instead of a unique one, so a crash
   * leaves at most one stale temporary per file, replaced by the next write.
   * Only for a directory a single process owns (the device state directory).
   */
  stableTempName?: boolean;
  onStep?: (step: DurableStep) => void;
}

export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return; // Platforms that cannot open a directory (Windows) have no directory fsync to do.
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    // Some file systems refuse fsync on a directory; the rename is then as durable as they make it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EPERM" && code !== "EISDIR") throw e;
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `data` at the file position (or at `position`); writeSync may write less than asked. */
export function writeAll(fd: number, data: Uint8Array, position: number | null = null): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position === null ? null : position + done);
}

export function writeFileDurable(path: string, data: Uint8Array | string, options: DurableWriteOptions = {}): void {
  const dir = dirname(path);
  if (options.createDirs) mkdirSync(dir, { recursive: true });
  const tmp = join(dir, options.stableTempName ? `.${basename(path)}.tmp` : `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  // A unique name is opened exclusively ("wx"), so a file planted under it is never written through.
  const fd = openSync(tmp, options.stableTempName ? "w" : "wx", options.mode ?? 0o644);
  try {
    writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  options.onStep?.("temp-written");
  try {
    if (options.noClobber) {
      linkSync(tmp, path);
      unlinkSync(tmp);
    } else {
      renameSync(tmp, path);
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirectory(dir);
  options.onStep?.("renamed");
}

/** Removes a file (a missing one is fine) and makes the removal durable. */
export function removeFileDurable(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    return;
  }
  fsyncDirectory(dirname(path));
}

export function removeTreeDurable(path: string): void {
  rmSync(path, { recursive: true, force: true });
  fsyncDirectory(dirname(path));
}
