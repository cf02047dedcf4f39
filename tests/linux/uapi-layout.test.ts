// src/linux/uapi.ts against the kernel's own uAPI headers: a C program built
// against /usr/include/linux/gpio.h, i2c.h, i2c-dev.h and spi/spidev.h
// (Debian linux-libc-dev, installed by scripts/ensure-c-libs.mjs) prints
// every struct size, field offset, flag and ioctl number, and each must equal
// what the TypeScript encoders use. The encoders' output is then read back
// at the header's offsets. No kernel is called: this proves the request
// buffers are laid out as the kernel reads them, not that a device answers.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as U from "../../src/linux/uapi.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";

const root = resolve(import.meta.dirname, "../..");
const facts = new Map<string, bigint>();
const fact = (name: string): bigint => {
  const v = facts.get(name);
  if (v === undefined) throw new Error(`layout.c printed no ${name}`);
  return v;
};

beforeAll(() => {
  for (const script of ["ensure-gcc.mjs", "ensure-c-libs.mjs"]) {
    const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, join(root, "scripts", script)], { encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) throw new Error(`scripts/${script} failed: ${r.stderr}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "fwx-uapi-"));
  try {
    readLayout(join(dir, "layout"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000);

function readLayout(exe: string): void {
  const cc = spawnSync("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes", join(import.meta.dirname, "uapi/layout.c"), "-o", exe], { encoding: "utf8", timeout: 60_000 });
  if (cc.status !== 0) throw new Error(`building tests/linux/uapi/layout.c failed: ${cc.stderr}`);
  const run = spawnSync(exe, [], { encoding: "utf8", timeout: 10_000 });
  if (run.status !== 0) throw new Error(`layout failed: ${run.stderr}`);
  for (const line of run.stdout.trim().split("\n")) {
    const [k, v] = line.split(" ");
    facts.set(k!, BigInt(v!));
  }
}

const layoutCases = (prefix: string, layout: Record<string, Record<string, number>>) =>
  Object.entries(layout).flatMap(([struct, fields]) => Object.entries(fields).map(([f, v]) => [`${struct}.${f}`, v] as const)).map(([k, v]) => [prefix, k, v] as const);

describe("struct layouts equal the kernel headers'", () => {
  it.each([...layoutCases("gpio", U.GPIO_LAYOUT), ...layoutCases("i2c", U.I2C_LAYOUT), ...layoutCases("spi", U.SPI_LAYOUT)])("%s %s = %d", (_p, name, v) => {
    expect(fact(name)).toBe(BigInt(v));
  });
});

describe("constants and ioctl numbers equal the kernel headers'", () => {
  it("GPIO v2", () => {
    expect(fact("GPIO_V2_LINES_MAX")).toBe(BigInt(U.GPIO_V2_LINES_MAX));
    expect(fact("GPIO_MAX_NAME_SIZE")).toBe(BigInt(U.GPIO_MAX_NAME_SIZE));
    expect(fact("GPIO_V2_LINE_NUM_ATTRS_MAX")).toBe(BigInt(U.GPIO_V2_LINE_NUM_ATTRS_MAX));
    for (const [k, v] of Object.entries(U.GpioLineFlag)) expect(fact(`flag.${k}`), k).toBe(v);
    for (const [k, v] of Object.entries(U.GpioLineAttrId)) expect(fact(`attr.${k}`), k).toBe(BigInt(v));
    for (const [k, v] of Object.entries(U.GpioLineEventId)) expect(fact(`event.${k}`), k).toBe(BigInt(v));
    expect(fact("GPIO_GET_CHIPINFO_IOCTL")).toBe(BigInt(U.GPIO_GET_CHIPINFO_IOCTL));
    expect(fact("GPIO_V2_GET_LINEINFO_IOCTL")).toBe(BigInt(U.GPIO_V2_GET_LINEINFO_IOCTL));
    expect(fact("GPIO_V2_GET_LINE_IOCTL")).toBe(BigInt(U.GPIO_V2_GET_LINE_IOCTL));
    expect(fact("GPIO_V2_LINE_SET_CONFIG_IOCTL")).toBe(BigInt(U.GPIO_V2_LINE_SET_CONFIG_IOCTL));
    expect(fact("GPIO_V2_LINE_GET_VALUES_IOCTL")).toBe(BigInt(U.GPIO_V2_LINE_GET_VALUES_IOCTL));
    expect(fact("GPIO_V2_LINE_SET_VALUES_IOCTL")).toBe(BigInt(U.GPIO_V2_LINE_SET_VALUES_IOCTL));
  });
  it("i2c-dev", () => {
    for (const k of ["I2C_SLAVE", "I2C_FUNCS", "I2C_RDWR", "I2C_M_RD", "I2C_FUNC_I2C", "I2C_RDWR_IOCTL_MAX_MSGS"] as const) expect(fact(k), k).toBe(BigInt(U[k]));
  });
  it("spidev", () => {
    expect(fact("SPI_IOC_MESSAGE(1)")).toBe(BigInt(U.spiIocMessage(1)));
    expect(fact("SPI_IOC_MESSAGE(3)")).toBe(BigInt(U.spiIocMessage(3)));
    for (const k of ["SPI_IOC_RD_MODE", "SPI_IOC_WR_MODE", "SPI_IOC_RD_BITS_PER_WORD", "SPI_IOC_WR_BITS_PER_WORD", "SPI_IOC_RD_MAX_SPEED_HZ", "SPI_IOC_WR_MAX_SPEED_HZ", "SPI_IOC_WR_MODE32", "SPI_CPHA", "SPI_CPOL"] as const)
      expect(fact(k), k).toBe(BigInt(U[k]));
  });
});

describe("encoders write the fields where the kernel reads them", () => {
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  it("a GPIO line request: offsets, consumer, flags, output value attribute, fd -1", () => {
    const b = U.encodeLineRequest([17, 27], "fwx", { flags: U.GpioLineFlag.OUTPUT, outputValues: 0b10n }, 16);
    const v = view(b);
    expect(b.byteLength).toBe(Number(fact("lineRequest.size")));
    expect(v.getUint32(Number(fact("lineRequest.offsets")), true)).toBe(17);
    expect(v.getUint32(Number(fact("lineRequest.offsets")) + 4, true)).toBe(27);
    const c = Number(fact("lineRequest.consumer"));
    expect(new TextDecoder().decode(b.subarray(c, c + 4))).toBe("fwx\0");
    expect(v.getUint32(Number(fact("lineRequest.numLines")), true)).toBe(2);
    expect(v.getUint32(Number(fact("lineRequest.eventBufferSize")), true)).toBe(16);
    expect(v.getInt32(Number(fact("lineRequest.fd")), true)).toBe(-1);
    const cfg = Number(fact("lineRequest.config"));
    expect(v.getBigUint64(cfg + Number(fact("lineConfig.flags")), true)).toBe(fact("flag.OUTPUT"));
    expect(v.getUint32(cfg + Number(fact("lineConfig.numAttrs")), true)).toBe(1);
    const a0 = cfg + Number(fact("lineConfig.attrs"));
    expect(BigInt(v.getUint32(a0 + Number(fact("lineConfigAttribute.attr")) + Number(fact("lineAttribute.id")), true))).toBe(fact("attr.OUTPUT_VALUES"));
    expect(v.getBigUint64(a0 + Number(fact("lineAttribute.value")), true)).toBe(0b10n);
    expect(v.getBigUint64(a0 + Number(fact("lineConfigAttribute.mask")), true)).toBe(0b11n);
  });
  it("a GPIO line request refuses 0 or more than GPIO_V2_LINES_MAX lines", () => {
    expect(() => U.encodeLineRequest([], "fwx", { flags: 0n })).toThrow(/1\.\.64 lines/);
    expect(() => U.encodeLineRequest(new Array(65).fill(0), "fwx", { flags: 0n })).toThrow(/not 65/);
  });
  it("line events decode from the kernel's struct gpio_v2_line_event layout", () => {
    const size = Number(fact("lineEvent.size"));
    const b = new Uint8Array(2 * size);
    const v = view(b);
    v.setBigUint64(Number(fact("lineEvent.timestampNs")), 123456789n, true);
    v.setUint32(Number(fact("lineEvent.id")), Number(fact("event.RISING_EDGE")), true);
    v.setUint32(Number(fact("lineEvent.offset")), 4, true);
    v.setUint32(size + Number(fact("lineEvent.id")), Number(fact("event.FALLING_EDGE")), true);
    v.setUint32(size + Number(fact("lineEvent.seqno")), 2, true);
    v.setUint32(size + Number(fact("lineEvent.lineSeqno")), 9, true);
    expect(U.decodeLineEvents(b)).toEqual([
      { timestampNs: 123456789n, rising: true, offset: 4, seqno: 0, lineSeqno: 0 },
      { timestampNs: 0n, rising: false, offset: 0, seqno: 2, lineSeqno: 9 },
    ]);
    expect(() => U.decodeLineEvents(b.subarray(0, size - 1))).toThrow(/not a multiple/);
  });
  it("an I2C write-then-read transaction is two i2c_msgs, the second with I2C_M_RD", () => {
    const plan = U.encodeI2cTransaction(0x48, Uint8Array.of(0x01), 2);
    const s = Number(fact("msg.size"));
    const v = view(plan.msgs);
    expect(plan.msgs.byteLength).toBe(2 * s);
    expect(v.getUint16(Number(fact("msg.addr")), true)).toBe(0x48);
    expect(v.getUint16(Number(fact("msg.flags")), true)).toBe(0);
    expect(v.getUint16(Number(fact("msg.len")), true)).toBe(1);
    expect(v.getUint16(s + Number(fact("msg.flags")), true)).toBe(Number(fact("I2C_M_RD")));
    expect(v.getUint16(s + Number(fact("msg.len")), true)).toBe(2);
    expect(plan.readIndex).toBe(1);
    expect(() => U.encodeI2cTransaction(0x80, null, 1)).toThrow(/not 7-bit/);
  });
  it("an SPI transfer sets len, speed and bits per word", () => {
    const b = U.encodeSpiTransfer(3, 1_000_000);
    const v = view(b);
    expect(b.byteLength).toBe(Number(fact("transfer.size")));
    expect(v.getUint32(Number(fact("transfer.len")), true)).toBe(3);
    expect(v.getUint32(Number(fact("transfer.speedHz")), true)).toBe(1_000_000);
    expect(v.getUint8(Number(fact("transfer.bitsPerWord")))).toBe(8);
  });
});
