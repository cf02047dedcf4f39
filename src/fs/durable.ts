// The one way fwx replaces a file: after a crash or power cut at any instant
// the path holds the old contents or the new ones, never a mix. The data goes
// to a temporary file in the same directory, is fsynced, then renamed over
// the target (or hard-linked, when an existing file must not be replaced),
// and the directory is fsynced so the rename itself survives. Directories it
// creates are made durable the same way (each new one's parent is fsynced),
// or a power cut could forget a directory whose files were all synced.
//
// Every operation goes through a FileIo (src/fs/file-io.ts): the real file
// system by default, a simulated disk that loses unsynced writes in the
// power-cut tests (tests/fs/power-cut.test.ts, tests/ota/power-cut.test.ts).

import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { NODE_FS, type FileIo } from "./file-io.js";

/** Where a durable write is between its steps; crash-injection tests stop the process here. */
export type DurableStep = "temp-written" | "renamed";

export interface DurableWriteOptions {
  /** File mode, applied when the temporary file is created (never widened afterwards). */
  mode?: number;
  /** Fail with EEXIST instead of replacing an existing file. */
  noClobber?: boolean;
  /** Create missing parent directories first (durably). */
  createDirs?: boolean;
  /**
   * Reuse one temporary name per target instead of a unique one, so a crash
   * leaves at most one stale temporary per file, replaced by the next write.
   * Only for a directory a single process owns (the device state directory).
   */
  stableTempName?: boolean;
  onStep?: (step: DurableStep) => void;
  /** The file system to write through (default: the real one). */
  fs?: FileIo;
}

export function fsyncDirectory(dir: string, fs: FileIo = NODE_FS): void {
  let fd: number;
  try {
    fd = fs.openDir(dir);
  } catch {
    return; // Platforms that cannot open a directory (Windows) have no directory fsync to do.
  }
  try {
    fs.fsync(fd);
  } catch (e) {
    // Some file systems refuse fsync on a directory; the rename is then as durable as they make it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EPERM" && code !== "EISDIR") throw e;
  } finally {
    fs.close(fd);
  }
}

/** Creates `dir` and any missing ancestors, fsyncing each new directory's parent so the entry survives a power cut. */
export function ensureDirDurable(dir: string, fs: FileIo = NODE_FS): void {
  if (fs.exists(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) ensureDirDurable(parent, fs);
  try {
    fs.mkdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return;
  }
  fsyncDirectory(parent, fs);
}

/** Writes all of `data` at the file position (or at `position`); a write may write less than asked. */
export function writeAll(fd: number, data: Uint8Array, position: number | null = null, fs: FileIo = NODE_FS): void {
  let done = 0;
  while (done < data.length) done += fs.write(fd, data, done, data.length - done, position === null ? null : position + done);
}

export function writeFileDurable(path: string, data: Uint8Array | string, options: DurableWriteOptions = {}): void {
  const fs = options.fs ?? NODE_FS;
  const dir = dirname(path);
  if (options.createDirs) ensureDirDurable(dir, fs);
  const tmp = join(dir, options.stableTempName ? `.${basename(path)}.tmp` : `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  // A unique name is opened exclusively ("wx"), so a file planted under it is never written through.
  const fd = fs.open(tmp, options.stableTempName ? "w" : "wx", options.mode ?? 0o644);
  try {
    writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data, null, fs);
    fs.fsync(fd);
  } catch (e) {
    fs.close(fd);
    fs.removeTree(tmp);
    throw e;
  }
  fs.close(fd);
  options.onStep?.("temp-written");
  try {
    if (options.noClobber) {
      fs.link(tmp, path);
      fs.unlink(tmp);
    } else {
      fs.rename(tmp, path);
    }
  } catch (e) {
    fs.removeTree(tmp);
    throw e;
  }
  fsyncDirectory(dir, fs);
  options.onStep?.("renamed");
}

/** Removes a file (a missing one is fine) and makes the removal durable. */
export function removeFileDurable(path: string, fs: FileIo = NODE_FS): void {
  try {
    fs.unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    return;
  }
  fsyncDirectory(dirname(path), fs);
}

export function removeTreeDurable(path: string, fs: FileIo = NODE_FS): void {
  fs.removeTree(path);
  fsyncDirectory(dirname(path), fs);
}
