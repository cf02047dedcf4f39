// Disk writes of the generator. A generated file is either the old or the new
// version after a crash or power cut, never a truncated mix: the content goes
// to a temp file in the same directory, is fsynced, then renamed over the
// target, and the directory is fsynced so the rename itself is durable.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return; // Platforms that cannot open directories (Windows) have no directory fsync to do.
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

export function writeFileAtomic(file: string, content: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  // The temp name starts with the target's name so a leftover is easy to attribute.
  const temp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(temp, "w", 0o644);
  try {
    writeFileSync(fd, content);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
  fsyncDirectory(dir);
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
  fsyncDirectory(dirname(file));
}
