#!/usr/bin/env node
// Builds fwx-device, the POSIX reference device (firmware/ports/posix/):
//   npm run build:device -- --wasm3 <wasm3 source dir> [--out <file>]
//   npm run build:device -- --fake [--out <file>]       (the project's wasm3 test double, for npm test)
// The runtime, the glue and the port compile as C99 with the project's strict
// warnings; wasm3 (never part of this repository) is compiled from the tree
// the user names with its own flags. MQTT is libmosquitto and crypto
// libsodium, from Debian packages installed here when missing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { aptAvailable, aptInstall } from "./apt.mjs";
import { buildOnce, inputsDigest } from "./build-once.mjs";
import { ensureGcc } from "./ensure-gcc.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const log = (m) => console.error(`build-device: ${m}`);

export const STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes"];

/** libmosquitto and libsodium headers, installed from Debian when missing. */
export function ensureDeviceLibs() {
  const have = () => existsSync("/usr/include/mosquitto.h") && existsSync("/usr/include/sodium.h");
  if (have()) return true;
  if (!aptAvailable()) {
    log("libmosquitto-dev and libsodium-dev are missing and apt-get is not available");
    return false;
  }
  aptInstall(["libmosquitto-dev", "libsodium-dev"], log);
  return have();
}

/**
 * The slot store's layout for the device core (every file gets the same -D; fwx_device.h checks them):
 * slots and staging hold FWX_DEVICE_MAX_PACKAGE (256 KiB), the config blob every field a package may
 * declare (16 x (32 + 256 + 2) bytes), and a journal bank two snapshots of that state.
 */
export const DEVICE_SLOTS_DEFINES = ["-DFWX_SLOTS_SLOT_BYTES=262144u", "-DFWX_SLOTS_STAGING_BYTES=262144u", "-DFWX_SLOTS_BANK_BYTES=65536u", "-DFWX_SLOTS_CONFIG_MAX=4640u", "-DFWX_SLOTS_CONFIG_POOL=4640u"];

const cfiles = (dir) => readdirSync(dir).filter((f) => f.endsWith(".c")).sort().map((f) => join(dir, f));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}\n${r.stderr}${r.stdout}`);
  return r;
}

/**
 * Builds the device. opts: { wasm3?: dir, fake?: boolean, out: file, extra?: string[] (e.g. sanitizers), defines?: string[] }.
 * Returns the path of the executable.
 */
export function buildDevice(opts) {
  ensureGcc();
  if (!ensureDeviceLibs()) throw new Error("libmosquitto-dev and libsodium-dev are needed (apt-get install libmosquitto-dev libsodium-dev)");
  const out = resolve(opts.out);
  // Up to date when the executable was built from exactly these inputs; several test files share
  // one build this way (build-once.mjs).
  return buildOnce(out, deviceInputsKey(opts), (temp) => compileDevice(opts, temp, `${out}.obj`));
}

/** A digest of everything a device build reads: its options, gcc's version, this script, and every C source and header under the directories it compiles. */
export function deviceInputsKey(opts) {
  return inputsDigest({
    parts: { wasm3: opts.wasm3 ? resolve(opts.wasm3) : null, fake: !!opts.fake, extra: opts.extra ?? [], defines: opts.defines ?? [], root },
    files: [fileURLToPath(import.meta.url)],
    dirs: [join(root, "firmware"), join(root, "tests", "c", "fake_wasm3"), join(root, "tests", "c", "ota"), ...(opts.wasm3 ? [join(resolve(opts.wasm3), "source")] : [])],
  });
}

/** Compiles every object into objDir and links the executable at out. */
function compileDevice(opts, out, objDir) {
  mkdirSync(objDir, { recursive: true });
  const firmware = join(root, "firmware");
  const runtime = join(firmware, "runtime");
  const device = join(runtime, "device");
  const posix = join(firmware, "ports", "posix");
  const fake = join(root, "tests", "c", "fake_wasm3");
  let wasm3Inc;
  const objects = [];
  const extra = opts.extra ?? [];
  if (opts.fake) {
    wasm3Inc = fake;
    for (const src of [join(fake, "fake_wasm3.c"), join(fake, "fake_guest.c"), join(root, "tests", "c", "ota", "fake_device_guests.c")]) {
      const o = join(objDir, `fake-${src.split("/").pop()}.o`);
      run("gcc", ["-std=c11", "-O1", "-g", ...extra, "-I", fake, "-I", firmware, "-c", src, "-o", o]);
      objects.push(o);
    }
  } else {
    const src = join(resolve(opts.wasm3), "source");
    if (!existsSync(join(src, "wasm3.h"))) throw new Error(`${opts.wasm3}: no source/wasm3.h (give the root of a wasm3 checkout)`);
    wasm3Inc = src;
    for (const f of cfiles(src)) {
      const o = join(objDir, `wasm3-${f.split("/").pop()}.o`);
      // Backtraces: a crash report's frames (firmware-supervisor.md, "Crash reports"); the frames cost one small
      // allocation each, made only when a module traps.
      run("gcc", ["-std=gnu11", "-O2", "-g", ...extra, "-I", src, "-Dd_m3HasWASI=0", "-Dd_m3RecordBacktraces=1", "-c", f, "-o", o]);
      objects.push(o);
    }
  }
  const includes = ["-I", firmware, "-I", runtime, "-I", device, "-I", posix, "-I", wasm3Inc];
  const defines = [`-DFWX_DEFAULT_BOARD="${join(root, "boards", "demo.json")}"`, "-DFWX_JSON_MAX_DEPTH=16", "-DFWX_OTA_HOLD_BYTES=65536u", "-DFWX_OTA_HOLD_ENTRIES=32u", "-DFWX_OTA_OUT_MAX=16384u", "-DFWX_OTA_REPLY_MAX=16384u", "-DFWX_OTA_MAX_TRANSFER=262144u",
    // A desktop's log ring (`fwx logs`): 64 lines of 512 B (a 256-byte message whole) instead of the MCU default 16 x 128 B.
    "-DFWX_DEVICE_LOG_LINES=64u", "-DFWX_DEVICE_LOG_LINE=512u",
    // Manifests and signature blocks up to the package format's limits, as the Node agent takes them (an MCU verifies up to 8 KiB).
    "-DFWX_DEVICE_PKG_WORK_BYTES=131136u",
    ...DEVICE_SLOTS_DEFINES, ...(opts.fake ? ["-DFWX_DEVICE_FAKE_GUESTS"] : []), ...(opts.defines ?? [])];
  const ours = [...cfiles(firmware), ...cfiles(runtime), ...cfiles(device), ...cfiles(posix)];
  for (const f of ours) {
    const o = join(objDir, `fwx-${f.slice(firmware.length + 1).replaceAll("/", "-")}.o`);
    // The port's main and board use POSIX and libmosquitto: strict warnings, but not -Wmissing-prototypes on library callbacks.
    run("gcc", [...STRICT, "-g", ...extra, ...includes, ...defines, "-c", f, "-o", o]);
    objects.push(o);
  }
  run("gcc", [...extra, ...objects, "-o", out, "-lmosquitto", "-lsodium", "-lm"]);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const wasm3 = at("--wasm3");
  const isFake = args.includes("--fake");
  if (!wasm3 && !isFake) {
    console.error("usage: npm run build:device -- --wasm3 <wasm3 source dir> [--out <file>]\n       npm run build:device -- --fake [--out <file>]");
    process.exit(2);
  }
  const out = at("--out") ?? join(root, "build", isFake ? "fwx-device-fake" : "fwx-device");
  try {
    const exe = buildDevice({ wasm3, fake: isFake, out });
    console.log(exe);
  } catch (e) {
    console.error(`build-device: ${e.message}`);
    process.exit(1);
  }
}
