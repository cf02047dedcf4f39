// One agent per state directory. Two `fwx agent`s on the same --state-dir (a
// second one started by hand beside the systemd service, or twice from a
// script) would both write its slots and device.json, and, sharing the device
// id, knock each other off the broker in a reconnect loop. The agent takes a
// lock beside the directory (`<state-dir>.lock`, as the anti-rollback file
// sits beside it by default) holding its process id; a lock whose process is
// gone (killed, a power cut) is stale and taken over.

import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export class StateDirInUse extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateDirInUse";
  }
}

export const stateLockPath = (stateDir: string): string => `${resolve(stateDir)}.lock`;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the state directory's lock for this process, or throws StateDirInUse naming the agent holding it. Returns the release. */
export function lockStateDir(stateDir: string, option = "--state-dir"): () => void {
  const path = stateLockPath(stateDir);
  // The pid is written whole before the lock exists: link() makes a complete file appear, or fails with EEXIST.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
      }
      let holder = NaN;
      try {
        holder = Number(readFileSync(path, "utf8").trim());
      } catch { /* gone meanwhile: try again */ }
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && running(holder)) {
        throw new StateDirInUse(`${option} ${stateDir} is in use by another fwx agent (process ${holder}; lock ${path}): stop it first, or give this agent its own state directory`);
      }
      try {
        unlinkSync(path); // stale: the agent that took it is gone
      } catch { /* removed meanwhile */ }
    }
  } finally {
    unlinkSync(tmp);
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    try {
      if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
    } catch { /* already gone */ }
  };
  process.on("exit", release);
  return release;
}
