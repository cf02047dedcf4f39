import { describe, expect, it } from "vitest";
import { Status } from "../../src/abi/host.generated.js";
import { decodeTmp102, encodeTmp102 } from "../../src/sim/devices/tmp102.js";
import { boardFrom, S } from "./helpers.js";

const tmpBoard = (trace: string) => boardFrom({
  sensors: [{ name: "room", unit: "°C", range: { min: -55, max: 128 }, source: { trace: "room", interpolation: "step" } }],
  i2c: [{ bus: 1, name: "i2c1", devices: [{ type: "tmp102", address: 0x48, name: "tmp", source: { sensor: "room" } }] }],
}, trace);

describe("TMP102", () => {
  it("encodes temperatures as 12-bit two's complement, left-justified, 0.0625 °C/LSB", () => {
    expect(encodeTmp102(25, false)).toBe(0x1900);
    expect(encodeTmp102(0.0625, false)).toBe(0x0010);
    expect(encodeTmp102(-0.25, false)).toBe(0xffc0);
    expect(encodeTmp102(-25, false)).toBe(0xe700);
    expect(encodeTmp102(-55, false)).toBe(0xc900);
    expect(encodeTmp102(127.9375, false)).toBe(0x7ff0);
    expect(encodeTmp102(150, false)).toBe(0x7ff0); // saturates
    expect(encodeTmp102(150, true)).toBe(0x4b01); // 13-bit extended mode, bit 0 set
    expect(decodeTmp102(0xe700, false)).toBe(-25);
  });

  it("returns the temperature register bytes for known temperatures", () => {
    const b = tmpBoard("0,room,25\n10,room,-25\n20,room,4.3\n");
    const bus = b.i2c(1)!;
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(1)).rx]).toEqual([0x19, 0x00]);
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(11)).rx]).toEqual([0xe7, 0x00]);
    // 4.3 / 0.0625 = 68.8 → 69 → 0x045 << 4
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(21)).rx]).toEqual([0x04, 0x50]);
    // Reading more than two bytes repeats the register.
    expect([...bus.transaction(0x48, null, 4, S(21)).rx]).toEqual([0x04, 0x50, 0x04, 0x50]);
  });

  it("returns the last conversion (4 Hz by default), not the instantaneous value", () => {
    const b = tmpBoard("0,room,10\n1.1,room,20\n");
    const bus = b.i2c(1)!;
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(1.2)).rx]).toEqual([0x0a, 0x00]); // slot at 1.0 s
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(1.25)).rx]).toEqual([0x14, 0x00]);
  });

  it("has the reset config and limits, and writes config/T_LOW/T_HIGH", () => {
    const bus = tmpBoard("0,room,20\n").i2c(1)!;
    expect([...bus.transaction(0x48, Uint8Array.of(1), 2, S(0)).rx]).toEqual([0x60, 0xa0]);
    expect([...bus.transaction(0x48, Uint8Array.of(2), 2, S(0)).rx]).toEqual([0x4b, 0x00]);
    expect([...bus.transaction(0x48, Uint8Array.of(3), 2, S(0)).rx]).toEqual([0x50, 0x00]);
    expect(bus.transaction(0x48, Uint8Array.of(3, 0x0f, 0x00), null, S(1)).status).toBe(Status.ok); // T_HIGH = 15 °C
    expect(bus.transaction(0x48, Uint8Array.of(2, 0x0c, 0x00), null, S(1)).status).toBe(Status.ok); // T_LOW = 12 °C
    expect([...bus.transaction(0x48, Uint8Array.of(3), 2, S(1)).rx]).toEqual([0x0f, 0x00]);
    // 20 °C ≥ T_HIGH: the (active-low) alert bit AL reads 0.
    expect([...bus.transaction(0x48, Uint8Array.of(1), 2, S(2)).rx]).toEqual([0x60, 0x80]);
  });

  it("switches to 13-bit extended mode with EM", () => {
    const bus = tmpBoard("0,room,150\n").i2c(1)!;
    bus.transaction(0x48, Uint8Array.of(1, 0x60, 0xb0), null, S(0));
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(1)).rx]).toEqual([0x4b, 0x01]);
  });

  it("NACKs a pointer above 3 and bytes after the register", () => {
    const bus = tmpBoard("0,room,20\n").i2c(1)!;
    expect(bus.transaction(0x48, Uint8Array.of(4), null, S(0)).status).toBe(Status.nackData);
    expect(bus.transaction(0x48, Uint8Array.of(2, 0, 0, 0), null, S(0)).status).toBe(Status.nackData);
  });

  it("holds its value in shutdown and makes a one-shot conversion on OS", () => {
    const b = tmpBoard("0,room,10\n5,room,30\n");
    const bus = b.i2c(1)!;
    bus.transaction(0x48, Uint8Array.of(1, 0x61, 0xa0), null, S(1)); // SD = 1
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(6)).rx]).toEqual([0x0a, 0x00]);
    bus.transaction(0x48, Uint8Array.of(1, 0xe1, 0xa0), null, S(6)); // OS = 1, SD = 1
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(6.01)).rx]).toEqual([0x0a, 0x00]); // 26 ms conversion running
    expect([...bus.transaction(0x48, Uint8Array.of(0), 2, S(6.03)).rx]).toEqual([0x1e, 0x00]);
  });

  it("does not answer on an address with no device", () => {
    const bus = tmpBoard("0,room,20\n").i2c(1)!;
    const r = bus.transaction(0x49, Uint8Array.of(0), 2, S(0));
    expect(r.status).toBe(Status.nackAddress);
    expect(r.detail).toBe("I2C bus 1 address 0x49: no device answers");
  });
});

const eeBoard = (contents = "") => boardFrom({
  i2c: [{ bus: 0, name: "i2c0", devices: [{ type: "24c02", address: 0x50, name: "ee", writeCycleMs: 5, contents }] }],
});

describe("24C02 EEPROM", () => {
  it("page writes wrap within the 8-byte page", () => {
    const bus = eeBoard().i2c(0)!;
    // Word address 0x0e: bytes go to 0e 0f 08 09 ... (page 0x08..0x0f).
    expect(bus.transaction(0x50, Uint8Array.of(0x0e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), null, S(0)).status).toBe(Status.ok);
    const r = bus.transaction(0x50, Uint8Array.of(0x08), 8, S(1));
    // 10 bytes into 8 cells: 9 and 10 overwrote the first two (0x0e, 0x0f).
    expect([...r.rx]).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...bus.transaction(0x50, Uint8Array.of(0x10), 1, S(1)).rx]).toEqual([0xff]); // next page untouched
  });

  it("sequential reads wrap from 0xFF to 0x00, and current-address reads continue", () => {
    const bus = eeBoard("a0 a1 a2").i2c(0)!;
    bus.transaction(0x50, Uint8Array.of(0xf8, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff), null, S(0));
    expect([...bus.transaction(0x50, Uint8Array.of(0xfe), 4, S(1)).rx]).toEqual([0xfe, 0xff, 0xa0, 0xa1]);
    expect([...bus.transaction(0x50, null, 1, S(1)).rx]).toEqual([0xa2]);
  });

  it("does not acknowledge its address during the write cycle", () => {
    const bus = eeBoard().i2c(0)!;
    expect(bus.transaction(0x50, Uint8Array.of(0x00, 0x42), null, S(1)).status).toBe(Status.ok);
    const busy = bus.transaction(0x50, Uint8Array.of(), null, S(1.004999)); // acknowledge polling
    expect(busy.status).toBe(Status.nackAddress);
    expect(busy.detail).toContain("write cycle in progress");
    expect(bus.transaction(0x50, Uint8Array.of(0), 1, S(1.002)).status).toBe(Status.nackAddress);
    expect([...bus.transaction(0x50, Uint8Array.of(0), 1, S(1.005)).rx]).toEqual([0x42]);
  });

  it("sets the address without a write cycle when no data follows", () => {
    const bus = eeBoard("11 22 33").i2c(0)!;
    expect(bus.transaction(0x50, Uint8Array.of(0x02), null, S(0)).status).toBe(Status.ok);
    expect([...bus.transaction(0x50, null, 1, S(0)).rx]).toEqual([0x33]);
  });
});

describe("ADXL345 accelerometer", () => {
  const accelBoard = () => boardFrom({
    sensors: [{ name: "vib", unit: "mm/s", range: { min: 0, max: 50 }, source: 4.5 }],
    i2c: [{ bus: 1, name: "i2c1", devices: [{ type: "adxl345", address: 0x53, name: "acc", velocity: { sensor: "vib" }, frequencyHz: 25 }] }],
  });

  it("identifies itself and fills its FIFO at the output data rate", () => {
    const bus = accelBoard().i2c(1)!;
    expect([...bus.transaction(0x53, Uint8Array.of(0x00), 1, 0n).rx]).toEqual([0xe5]);
    bus.transaction(0x53, Uint8Array.of(0x2c, 0x0c), null, 0n); // 400 Hz
    bus.transaction(0x53, Uint8Array.of(0x31, 0x08), null, 0n); // full resolution ±2 g
    bus.transaction(0x53, Uint8Array.of(0x38, 0x80), null, 0n); // stream mode
    bus.transaction(0x53, Uint8Array.of(0x2d, 0x08), null, 0n); // measure
    expect([...bus.transaction(0x53, Uint8Array.of(0x39), 1, S(0.0201)).rx]).toEqual([8]); // 8 samples in 20 ms
    expect([...bus.transaction(0x53, Uint8Array.of(0x39), 1, S(1)).rx]).toEqual([32]); // full
  });

  it("delivers a sine at the shaft frequency whose RMS matches the velocity", () => {
    const bus = accelBoard().i2c(1)!;
    bus.transaction(0x53, Uint8Array.of(0x2c, 0x0e), null, 0n); // 1600 Hz
    bus.transaction(0x53, Uint8Array.of(0x31, 0x0b), null, 0n); // full resolution ±16 g
    bus.transaction(0x53, Uint8Array.of(0x38, 0x40), null, 0n); // FIFO mode
    bus.transaction(0x53, Uint8Array.of(0x2d, 0x08), null, 0n);
    const xs: number[] = [];
    for (let t = 0.02; xs.length < 1600; t += 0.02) {
      const n = bus.transaction(0x53, Uint8Array.of(0x39), 1, S(t)).rx[0]!;
      for (let i = 0; i < n; i++) {
        const r = bus.transaction(0x53, Uint8Array.of(0x32), 6, S(t)).rx;
        xs.push(((r[1]! << 24) >> 16) | r[0]!);
      }
    }
    // Velocity RMS 4.5 mm/s at 25 Hz → 1× peak = 4.5·√2·2π·25 mm/s² = 0.1019 g; the 2× adds 30 %.
    const g = xs.map((c) => c / 256);
    const rms = Math.sqrt(g.reduce((a, v) => a + v * v, 0) / g.length);
    const expected = (0.1019 / Math.SQRT2) * Math.sqrt(1 + 0.09);
    expect(Math.abs(rms - expected) / expected).toBeLessThan(0.05);
  });
});
