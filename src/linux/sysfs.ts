// Reading and writing the kernel's sysfs attribute files for the IIO and PWM
// backends, with the errors a gateway set up wrong needs: a missing file
// names the connector and the path, a permission problem the group.

import { readFileSync, statSync, writeFileSync } from "node:fs";
import { DeviceFileError, groupName } from "./device-file.js";

export function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? "";
}

/** Refuses when the directory `path` (a device's sysfs node) is missing. */
export function checkSysfsDir(path: string, where: string, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if (errnoOf(e) === "ENOENT") throw new DeviceFileError(`${where}: ${what} ${path} does not exist (is its driver loaded, or the overlay enabled in config.txt?)`);
    throw new DeviceFileError(`${where}: cannot inspect ${what} ${path}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new DeviceFileError(`${where}: ${path} is not a directory, so it cannot be the ${what}`);
}

/** A permission refusal naming the group that owns `path` (or `fallbackGroup`). */
export function permissionError(path: string, where: string, fallbackGroup: string): DeviceFileError {
  let group = fallbackGroup;
  try {
    const gid = statSync(path).gid;
    if (gid !== 0) group = groupName(gid);
  } catch { /* keep the fallback */ }
  return new DeviceFileError(`${where}: no permission to use ${path}; add the user that runs fwx to group ${group} (usermod -aG ${group} <user>) and log in again, with a udev rule giving that group the files (docs/agent.md)`);
}

export function readAttribute(path: string): string {
  return readFileSync(path, "utf8").trim();
}

export function writeAttribute(path: string, value: string | number): void {
  writeFileSync(path, String(value));
}
