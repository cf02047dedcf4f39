// The native addon's I2C messages on a 32-bit gateway. uapi.ts encodes the
// struct i2c_msg array with the 64-bit layout (16 bytes a message); on
// 32-bit ARM (Raspberry Pi OS 32-bit, armhf Debian) the kernel's i2c_msg is
// 12 bytes, since its buf is a 4-byte pointer. native/i2c-msgs.h turns the
// encoded messages into the machine's own structs; here it is built for
// wasm32, a 32-bit target Node can run (clang with the kernel's uAPI
// headers), and the structs it fills are read at the 32-bit layout.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { clangEnv, ensureClangWasm } from "../../scripts/ensure-wasm-compilers.mjs";
import * as U from "../../src/linux/uapi.js";

const root = resolve(import.meta.dirname, "../..");
let ex: { memory: WebAssembly.Memory; wire: () => number; msgs: () => number; msgSize: () => number; decode: (len: number) => number };

beforeAll(() => {
  const clang = ensureClangWasm();
  const dir = mkdtempSync(join(tmpdir(), "fwx-i2c-msgs-"));
  try {
    ex = buildProbe(clang, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000);

function buildProbe(clang: string, dir: string): typeof ex {
  writeFileSync(join(dir, "probe.c"), `#include "i2c-msgs.h"
#include <linux/i2c-dev.h>
static uint8_t wire[16 * I2C_RDWR_IOCTL_MAX_MSGS + 16];
static struct i2c_msg msgs[I2C_RDWR_IOCTL_MAX_MSGS];
__attribute__((export_name("wire"))) uint8_t *wire_at(void) { return wire; }
__attribute__((export_name("msgs"))) struct i2c_msg *msgs_at(void) { return msgs; }
__attribute__((export_name("msgSize"))) int msg_size(void) { return (int)sizeof(struct i2c_msg); }
__attribute__((export_name("decode"))) int decode(int len) { return fwx_i2c_msgs_from_wire(wire, (size_t)len, msgs, I2C_RDWR_IOCTL_MAX_MSGS); }
`);
  const out = join(dir, "probe.wasm");
  // clang's own freestanding stdint.h and stddef.h; the kernel's uAPI headers after them.
  const cc = spawnSync(clang, ["--target=wasm32", "-nostdlib", "-ffreestanding", "-O2", "-Wall", "-Wextra", "-Werror", "-Wconversion",
    `-I${join(root, "native")}`, "-idirafter", "/usr/include", "-idirafter", `/usr/include/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`,
    "-Wl,--no-entry", join(dir, "probe.c"), "-o", out], { encoding: "utf8", timeout: 120_000, env: clangEnv() });
  if (cc.status !== 0) throw new Error(`building native/i2c-msgs.h for wasm32 failed: ${cc.stderr}`);
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out))).exports as typeof ex;
}

describe("native/i2c-msgs.h on a 32-bit target", () => {
  it("struct i2c_msg is 12 bytes there, not the 16 uapi.ts encodes", () => {
    expect(ex.msgSize()).toBe(12);
    expect(U.I2C_LAYOUT.msg.size).toBe(16);
  });
  it("a write-then-read transaction becomes two 32-bit i2c_msgs with the right address, flags and lengths", () => {
    const plan = U.encodeI2cTransaction(0x48, Uint8Array.of(1, 2, 3), 300);
    new Uint8Array(ex.memory.buffer).set(plan.msgs, ex.wire());
    expect(ex.decode(plan.msgs.byteLength)).toBe(2);
    const v = new DataView(ex.memory.buffer, ex.msgs());
    expect([0, 12].map((p) => ({ addr: v.getUint16(p, true), flags: v.getUint16(p + 2, true), len: v.getUint16(p + 4, true), buf: v.getUint32(p + 8, true) }))).toEqual([
      { addr: 0x48, flags: 0, len: 3, buf: 0 },
      { addr: 0x48, flags: U.I2C_M_RD, len: 300, buf: 0 },
    ]);
  });
  it("refuses a buffer that is not 1..42 whole messages", () => {
    expect(ex.decode(0)).toBe(-1);
    expect(ex.decode(12)).toBe(-1);
    expect(ex.decode(16 * 43)).toBe(-1);
    expect(ex.decode(16 * 42)).toBe(42);
  });
});
