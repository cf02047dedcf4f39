// One agent per state directory. Two `fwx agent`s on the same --state-dir (a
// second one started by hand beside the systemd service, or twice from a
// script) would both write its slots and device.json, and, sharing the device
// id, knock each other off the broker in a reconnect loop. The agent takes a
// lock beside the directory (`<state-dir>.lock`, as the anti-rollback file
// sits beside it by default) naming its process; a lock whose process is gone
// (killed, a power cut) is stale and taken over.
//
// A process id alone does not name a process for long: after a power cut the
// lock file is still there, and on the next boot its number may belong to any
// other program, which would keep the gateway's agent from ever starting
// again. So on Linux the lock also holds the boot's id and the process's start
// time (/proc), and a holder counts only if all three still match.

import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export class StateDirInUse extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateDirInUse";
  }
}

export const stateLockPath = (stateDir: string): string => `${resolve(stateDir)}.lock`;

/** Who holds a lock: a process id, and where the system says so, the boot and the process's start time. */
interface Holder { pid: number; boot: string | null; start: string | null }

function readOr(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/** The current boot's id (Linux), or null where the system has none. */
const bootId = (): string | null => readOr("/proc/sys/kernel/random/boot_id");

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or null. */
function startTime(pid: number): string | null {
  const stat = readOr(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}

function parseHolder(text: string): Holder | null {
  const [pid, boot, start] = text.split(" ");
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, boot: boot ?? null, start: start ?? null } : null;
}

const lockText = (h: Holder): string => `${[h.pid, ...(h.boot !== null && h.start !== null ? [h.boot, h.start] : [])].join(" ")}\n`;

/** Whether the process a lock names is still that process: same boot, same start time, alive. */
function running(h: Holder): boolean {
  if (h.boot !== null && h.start !== null) {
    const boot = bootId();
    if (boot !== null && boot !== h.boot) return false; // taken before a reboot: every process of that boot is gone
    const start = startTime(h.pid);
    if (boot !== null && start !== h.start) return false; // gone, or its number now names another process
  }
  try {
    process.kill(h.pid, 0);
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
  const mine = lockText({ pid: process.pid, boot: bootId(), start: startTime(process.pid) });
  writeFileSync(tmp, mine);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
      }
      const text = readOr(path); // null: gone meanwhile, try again
      const holder = text === null ? null : parseHolder(text);
      if (holder && holder.pid !== process.pid && running(holder)) {
        throw new StateDirInUse(`${option} ${stateDir} is in use by another fwx agent (process ${holder.pid}; lock ${path}): stop it first, or give this agent its own state directory`);
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
      if (readFileSync(path, "utf8") === mine) unlinkSync(path);
    } catch { /* already gone */ }
  };
  process.on("exit", release);
  return release;
}
