#!/usr/bin/env node
// Builds fwx's one native piece, native/linux-ioctl.c (the ioctl calls of the
// Linux GPIO / I2C / SPI backends), into build/native/fwx_linux_ioctl.node
// with Debian's gcc against the Node headers installed with Node
// (/usr/include/node, or <prefix>/include/node). No node-gyp, nothing
// downloaded. Rebuilds only when a source file is newer. Usable as a module
// (`ensureLinuxIoctl()` returns the path) or run directly (exit 0 / 1).
// `--install` is how `npm ci` runs it (package.json "prepare"): a machine
// other than Linux, or one where the build fails, gets a note and the install
// goes on, since only a gateway's GPIO/I2C/SPI connectors need the addon (the
// backends refuse with the build command when it is missing).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureGcc } from "./ensure-gcc.mjs";
import { aptAvailable, aptInstall } from "./apt.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const log = (msg) => console.error(`ensure-linux-ioctl: ${msg}`);
export const ADDON = join(root, "build", "native", "fwx_linux_ioctl.node");
const SOURCE = join(root, "native", "linux-ioctl.c");
/** Every file the addon is built from: a change to any of them rebuilds it. */
const INPUTS = [SOURCE, join(root, "native", "i2c-msgs.h")];

function nodeInclude() {
  const candidates = [join(dirname(dirname(process.execPath)), "include", "node"), "/usr/include/node", "/usr/local/include/node"];
  return candidates.find((d) => existsSync(join(d, "node_api.h"))) ?? null;
}

export function ensureLinuxIoctl() {
  if (process.platform !== "linux") throw new Error("the Linux GPIO/I2C/SPI backends need Linux");
  if (existsSync(ADDON) && INPUTS.every((f) => statSync(ADDON).mtimeMs >= statSync(f).mtimeMs)) return ADDON;
  ensureGcc();
  if (!existsSync("/usr/include/linux/gpio.h") && aptAvailable()) aptInstall(["linux-libc-dev"], log);
  let inc = nodeInclude();
  if (!inc && aptAvailable()) {
    aptInstall(["libnode-dev"], log);
    inc = nodeInclude();
  }
  if (!inc) throw new Error(`no Node headers (node_api.h) next to ${process.execPath} or in /usr/include/node; install the headers of this Node (Debian: libnode-dev)`);
  mkdirSync(dirname(ADDON), { recursive: true });
  const tmp = `${ADDON}.tmp`;
  const cc = spawnSync("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes", "-O2", "-fPIC", "-shared", "-DNODE_GYP_MODULE_NAME=fwx_linux_ioctl", `-I${inc}`, SOURCE, "-o", tmp], { encoding: "utf8" });
  if (cc.status !== 0) throw new Error(`building ${SOURCE} failed:\n${cc.stderr}`);
  renameSync(tmp, ADDON); // a half-written addon never replaces a good one
  return ADDON;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    log(`built ${ensureLinuxIoctl()}`);
  } catch (e) {
    log(e.message);
    process.exit(process.argv.includes("--install") ? 0 : 1);
  }
}
