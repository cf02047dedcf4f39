#!/usr/bin/env node
// Makes sure the C libraries the device runtime's POSIX port and the tests
// link against are installed: the one list of them is C_LIBS below (add a
// library here, not in a second script). Installs the Debian packages that
// are missing (see scripts/apt.mjs), then proves each one by compiling and
// linking a probe. Usable as a module (`ensureCLibs()`) or run directly:
// exit 0 when every library links afterwards, 1 otherwise.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptAvailable, aptInstall } from "./apt.mjs";

const log = (msg) => console.error(`ensure-c-libs: ${msg}`);

/** Every C library of the runtime's ports: Debian package, a header to include, the linker flag, one call to link. */
export const C_LIBS = [
  { name: "libsodium", debian: "libsodium-dev", header: "sodium.h", link: "-lsodium", call: "return sodium_init() < 0;" },
  { name: "libmosquitto", debian: "libmosquitto-dev", header: "mosquitto.h", link: "-lmosquitto", call: "return mosquitto_lib_init();" },
  // An independent Modbus RTU slave for the Linux UART backend's test (tests/linux/).
  // The kernel's GPIO / i2c-dev / spidev uAPI headers, against which tests/linux/uapi-layout.test.ts checks src/linux/uapi.ts.
  { name: "linux uAPI headers", debian: "linux-libc-dev", header: "linux/gpio.h", link: "-lc", call: "return GPIO_V2_LINES_MAX != 64;" },
  { name: "libmodbus", debian: "libmodbus-dev", header: "modbus/modbus.h", link: "-lmodbus", call: "return modbus_new_rtu(\"/dev/null\", 9600, 'N', 8, 1) == 0;" },
];

/** Compiles and links a probe for `lib`; returns an error text or null. */
function probe(lib) {
  const dir = mkdtempSync(join(tmpdir(), "fwx-c-lib-probe-"));
  try {
    const src = join(dir, "probe.c");
    writeFileSync(src, `#include <${lib.header}>\nint main(void){${lib.call}}\n`);
    const r = spawnSync("gcc", [src, "-o", join(dir, "probe"), lib.link], { encoding: "utf8" });
    return r.status === 0 ? null : `${lib.name}: ${r.stderr || r.error?.message || "gcc failed"}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ensures every library in C_LIBS links. Throws naming the ones that do not. */
export function ensureCLibs() {
  const missing = C_LIBS.filter((lib) => probe(lib) !== null);
  if (missing.length === 0) return;
  if (!aptAvailable()) throw new Error(`missing C libraries (${missing.map((l) => l.debian).join(", ")}) and apt-get is not available; install them with your package manager`);
  aptInstall(missing.map((l) => l.debian), log);
  const still = C_LIBS.map(probe).filter((p) => p !== null);
  if (still.length) throw new Error(`still not linkable after apt-get install:\n${still.join("\n")}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureCLibs();
    log(`${C_LIBS.map((l) => l.name).join(", ")} link`);
  } catch (e) {
    log(e.message);
    process.exit(1);
  }
}
