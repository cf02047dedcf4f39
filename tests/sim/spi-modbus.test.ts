import { describe, expect, it } from "vitest";
import { charTimeUs, decodeWaveform, Waveform } from "../../src/sim/uart-line.js";
import { crc16Modbus, withCrc } from "../../src/sim/modbus.js";
import { modbusGapsUs } from "../../src/sim/uart-port.js";
import { boardFrom, demoBoard, S } from "./helpers.js";

const hex = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
const bytes = (h: string) => Uint8Array.from(h.split(" ").map((x) => parseInt(x, 16)));

describe("MCP3008", () => {
  const board = () => boardFrom({
    spi: [{ bus: 0, name: "spi0", devices: [{ type: "mcp3008", cs: 0, name: "adc", vrefMv: 3300, channels: [
      { channel: 0, source: 1650 }, { channel: 1, source: 3300 }, { channel: 2, source: 1000 }, { channel: 3, source: 400 }, { channel: 7, source: 2.0 },
    ] }] }],
  });

  it("answers a 3-byte single-ended command with the null bit and B9..B0 in place", () => {
    const bus = board().spi(0)!;
    // 1650 mV of 3300 → 512 = 0b10_0000_0000: rx[1] = ?????0 B9 B8 = 1111 1010, rx[2] = 0x00
    expect(hex(bus.transfer(0, bytes("01 80 00"), 0n).rx)).toBe("ff fa 00");
    // Full scale saturates at 1023.
    expect(hex(bus.transfer(0, bytes("01 90 00"), 0n).rx)).toBe("ff fb ff");
    // 1000 mV → floor(1024·1000/3300) = 310 = 0x136
    expect(hex(bus.transfer(0, bytes("01 a0 00"), 0n).rx)).toBe("ff f9 36");
    // An unconnected channel reads 0; channel 7 at 2 mV reads 0 (below one LSB).
    expect(hex(bus.transfer(0, bytes("01 c0 00"), 0n).rx)).toBe("ff f8 00");
    expect(hex(bus.transfer(0, bytes("01 f0 00"), 0n).rx)).toBe("ff f8 00");
  });

  it("reads differential pairs, negative differences as 0", () => {
    const bus = board().spi(0)!;
    // SGL=0, D=010: CH2+ CH3- = 600 mV → floor(1024·600/3300) = 186 = 0xba
    expect(hex(bus.transfer(0, bytes("01 20 00"), 0n).rx)).toBe("ff f8 ba");
    // D=011: CH3+ CH2- = -600 mV → 0
    expect(hex(bus.transfer(0, bytes("01 30 00"), 0n).rx)).toBe("ff f8 00");
  });

  it("works with the start bit at another position, and sends B1..B9 LSB first after B0", () => {
    const bus = board().spi(0)!;
    // Start bit as bit 6 of byte 0: 0 1 SGL D2 D1 D0 x x; then sample, null, B9..B0 across bytes 1..2, then LSB-first data.
    // Channel 2 (310 = 01 0011 0110): clocks 0..7 → start at k=1; null at k=7; B9..B0 at k=8..17; B1..B9 at k=18..26.
    const rx = bus.transfer(0, bytes("68 00 00 00"), 0n).rx;
    expect(rx[0]! & 0x01).toBe(0); // null bit
    const msbFirst = ((rx[1]! << 2) | (rx[2]! >> 6)) & 0x3ff;
    expect(msbFirst).toBe(310);
    // Bits 18..26: B1..B9 of 310 LSB first = 1,1,0,1,1,0,0,1,0
    const lsb = [] as number[];
    for (let k = 18; k <= 26; k++) lsb.push((rx[k >> 3]! >> (7 - (k & 7))) & 1);
    expect(lsb).toEqual([1, 1, 0, 1, 1, 0, 0, 1, 0]);
  });
});

describe("Modbus RTU", () => {
  it("computes CRC-16/MODBUS of a known frame (01 03 00 00 00 0A → C5 CD)", () => {
    expect(crc16Modbus(bytes("01 03 00 00 00 0a"))).toBe(0xcdc5);
    expect(hex(withCrc([1, 3, 0, 0, 0, 10]))).toBe("01 03 00 00 00 0a c5 cd");
  });

  function exchange(request: Uint8Array, opts: { baud?: number; parity?: "none" | "even" | "odd" } = {}) {
    const board = demoBoard();
    const port = board.uart(1)!;
    const t0 = S(36000); // 10:00
    board.advanceTo(t0);
    const bursts: { at: bigint; hex: string }[] = [];
    port.open({ baud: opts.baud ?? 9600, parity: opts.parity ?? "even", stopBits: 1 }, t0, (burst, _w, at) => bursts.push({ at: at - t0, hex: hex(burst.map((c) => c.byte)) }));
    port.write(request, t0);
    board.advanceTo(t0 + 1_000_000n);
    return { bursts, board, port };
  }

  it("reads input registers: IEEE-754 floats, high word first, from the trace", () => {
    const { bursts } = exchange(withCrc([1, 4, 0, 0, 0, 2]));
    expect(bursts).toHaveLength(1);
    const frame = bytes(bursts[0]!.hex);
    expect(hex(frame.subarray(0, 3))).toBe("01 04 04");
    expect(crc16Modbus(frame)).toBe(0); // a frame including its CRC checks to 0
    const volts = new DataView(frame.buffer).getFloat32(3, false);
    expect(volts).toBeGreaterThan(225);
    expect(volts).toBeLessThan(236);
  });

  it("reads scaled integer registers", () => {
    const { bursts } = exchange(withCrc([1, 4, 1, 0, 0, 1]));
    const frame = bytes(bursts[0]!.hex);
    const deciVolts = (frame[3]! << 8) | frame[4]!;
    expect(deciVolts).toBeGreaterThan(2250);
    expect(deciVolts).toBeLessThan(2360);
  });

  it("answers after 3.5 characters of silence plus the response delay, at the baud rate's pace", () => {
    const { bursts } = exchange(bytes("01 03 00 00 00 0a c5 cd"));
    // Holding registers 3..9 are not defined: exception 02, the well-known frame 01 83 02 C0 F1.
    expect(bursts.map((b) => b.hex)).toEqual(["01 83 02 c0 f1"]);
    const line = { baud: 9600, parity: "even" as const, stopBits: 1 as const };
    const c = charTimeUs(line); // 11 bits at 9600 baud
    const requestLastByte = 7 * c + 10.5 * (1e6 / 9600); // middle of the last stop bit
    const start = requestLastByte + modbusGapsUs(line).t35 + 2000; // responseDelayMs 2
    const lastByte = start + 4 * c + 10.5 * (1e6 / 9600);
    expect(bursts[0]!.at).toBe(BigInt(Math.ceil(lastByte)));
    expect(modbusGapsUs({ ...line, baud: 38400 }).t35).toBe(1750);
  });

  it("writes holding registers (0x06, 0x10) and reads them back", () => {
    const { bursts, port, board } = exchange(withCrc([1, 6, 0, 0, 0, 30]));
    expect(bursts.map((b) => b.hex)).toEqual([hex(withCrc([1, 6, 0, 0, 0, 30]))]);
    expect(port.slave!.holdingValue("demand_period_min")).toBe(30);
    const t = board.nowUs;
    port.read(256);
    port.write(withCrc([1, 0x10, 0, 0, 0, 2, 4, 0, 5, 0, 100]), t);
    board.advanceTo(t + 1_000_000n);
    expect(port.read(256).bytes).toEqual([...withCrc([1, 0x10, 0, 0, 0, 2])]);
    expect(port.slave!.holdingValue("ct_ratio")).toBe(100);
    port.write(withCrc([1, 3, 0, 0, 0, 3]), board.nowUs);
    board.advanceTo(board.nowUs + 1_000_000n);
    expect(port.read(256).bytes).toEqual([...withCrc([1, 3, 6, 0, 5, 0, 100, 0, 1])]);
  });

  const exceptions: [string, number[], string][] = [
    ["illegal function", [1, 0x05, 0, 0, 0xff, 0], "01 85 01"],
    ["illegal data address (no register)", [1, 4, 0x10, 0, 0, 1], "01 84 02"],
    ["illegal data address (read-only register)", [1, 6, 0, 2, 0, 9], "01 86 02"],
    ["illegal data address (no holding register)", [1, 0x10, 0, 0x10, 0, 1, 2, 0, 0], "01 90 02"],
    ["illegal data value (quantity 0)", [1, 3, 0, 0, 0, 0], "01 83 03"],
    ["illegal data value (quantity 126)", [1, 4, 0, 0, 0, 126], "01 84 03"],
    ["illegal data value (outside min..max)", [1, 6, 0, 0, 0, 61], "01 86 03"],
    ["illegal data value (byte count mismatch)", [1, 0x10, 0, 0, 0, 1, 4, 0, 5, 0, 6], "01 90 03"],
  ];
  for (const [what, body, expected] of exceptions) {
    it(`answers ${what} with an exception`, () => {
      const { bursts } = exchange(withCrc(body));
      expect(bursts.map((b) => b.hex)).toEqual([hex(withCrc([...bytes(expected)]))]);
    });
  }

  it("ignores a bad CRC, another unit id and broadcasts that read", () => {
    expect(exchange(bytes("01 03 00 00 00 01 00 00")).bursts).toEqual([]);
    expect(exchange(withCrc([2, 3, 0, 0, 0, 1])).bursts).toEqual([]);
    expect(exchange(withCrc([0, 3, 0, 0, 0, 1])).bursts).toEqual([]);
  });

  it("executes a broadcast write without answering", () => {
    const { bursts, port } = exchange(withCrc([0, 6, 0, 1, 0, 7]));
    expect(bursts).toEqual([]);
    expect(port.slave!.holdingValue("ct_ratio")).toBe(7);
  });

  it("stays silent when the port's line settings differ from the slave's", () => {
    expect(exchange(withCrc([1, 3, 0, 0, 0, 1]), { parity: "none" }).bursts).toEqual([]);
    expect(exchange(withCrc([1, 3, 0, 0, 0, 1]), { baud: 19200 }).bursts).toEqual([]);
  });
});

describe("Modbus 32-bit holding registers", () => {
  it("refuses a write to half of a 32-bit register", () => {
    const board = boardFrom({ uart: [{ port: 1, name: "rs485", device: { type: "modbus-rtu-slave", name: "m", unitId: 9, baud: 19200, parity: "none", stopBits: 2,
      holdingRegisters: [{ address: 10, name: "setpoint", format: "float32", value: 1.5, writable: true }] } }] });
    const port = board.uart(1)!;
    const got: string[] = [];
    port.open({ baud: 19200, parity: "none", stopBits: 2 }, 0n, (burst) => got.push(hex(burst.map((c) => c.byte))));
    port.write(withCrc([9, 6, 0, 11, 0, 0]), 0n);
    board.advanceTo(S(1));
    port.write(withCrc([9, 0x10, 0, 10, 0, 2, 4, 0x40, 0x20, 0, 0]), S(1)); // 2.5f
    board.advanceTo(S(2));
    port.write(withCrc([9, 3, 0, 10, 0, 2]), S(2));
    board.advanceTo(S(3));
    expect(got).toEqual([hex(withCrc([9, 0x86, 2])), hex(withCrc([9, 0x10, 0, 10, 0, 2])), hex(withCrc([9, 3, 4, 0x40, 0x20, 0, 0]))]);
  });
});

describe("UART line decoding", () => {
  const line8N1 = { baud: 9600, parity: "none" as const, stopBits: 1 as const };

  it("round-trips bytes with matching settings", () => {
    const w = new Waveform(0, bytes("00 55 aa ff 41"), { ...line8N1, parity: "odd", stopBits: 2 });
    expect(decodeWaveform(w, { ...line8N1, parity: "odd", stopBits: 2 }).map((c) => [c.byte, c.error])).toEqual([[0, undefined], [0x55, undefined], [0xaa, undefined], [0xff, undefined], [0x41, undefined]]);
  });

  it("reports parity errors, framing errors and noise for mismatched settings", () => {
    // Sent 8N1, received 8E1: the last byte's "parity bit" is its stop bit (1); 0x0a has even parity → expects 0.
    const chars = decodeWaveform(new Waveform(0, bytes("31 0a"), line8N1), { ...line8N1, parity: "even" });
    expect(chars[0]!.error).toBe("frame-format"); // stop bit sampled on the next start bit
    expect(chars[1]!.error).toBe("parity");
    // Half the baud rate: samples straddle bit edges.
    expect(decodeWaveform(new Waveform(0, bytes("55 31 0a"), line8N1), { ...line8N1, baud: 4800 })[0]!.error).toBe("noise");
    expect(decodeWaveform(new Waveform(0, bytes("55 31 0a"), line8N1), { ...line8N1, baud: 19200 })[0]!.error).toBe("frame-format");
  });
});
