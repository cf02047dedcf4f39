// Checks a device file a board profile names before anything opens it, so
// that a gateway set up wrong gets a refusal naming the connector, the path
// and, for a permission problem, the group the user needs.

import { accessSync, constants, readFileSync, realpathSync, statSync } from "node:fs";

/** A device file cannot be used; the message names the connector and the path. */
export class DeviceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceFileError";
  }
}

/** The name of group `gid` from /etc/group, or its number when it has none. */
export function groupName(gid: number, groupFile = "/etc/group"): string {
  let text = "";
  try {
    text = readFileSync(groupFile, "utf8");
  } catch {
    return String(gid);
  }
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name && id !== undefined && Number(id) === gid) return name;
  }
  return String(gid);
}

/**
 * Checks that `path` is a character device this process may read and write.
 * `where` names the connector (`boards/pi.json: uart[0]`); `what` says what
 * the device is for the message (`serial device`). Returns the resolved path.
 */
export function checkCharacterDevice(path: string, where: string, what: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new DeviceFileError(`${where}: ${what} ${path} does not exist (is the device connected and its driver loaded?)`);
    throw new DeviceFileError(`${where}: cannot inspect ${what} ${path}: ${(e as Error).message}`);
  }
  if (!st.isCharacterDevice()) throw new DeviceFileError(`${where}: ${path} is not a character device, so it cannot be the ${what}`);
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    const group = groupName(st.gid);
    throw new DeviceFileError(`${where}: no permission to read and write ${what} ${path} (owned by group ${group}); add the user that runs fwx to group ${group} (usermod -aG ${group} <user>) and log in again`);
  }
  return realpathSync(path);
}
