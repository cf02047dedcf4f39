// The Linux UART backend against a real counterpart: a pseudo-terminal pair
// made by socat, with libmodbus (an independent Modbus RTU implementation)
// serving input registers on the far end. Every child process is killed in
// afterAll, and every wait has its own deadline, so a regression is a named
// failure, not a hang.

import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, constants, openSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceFileError } from "../../src/linux/device-file.js";
import { linuxHardware } from "../../src/linux/index.js";
import { LinuxUartPort, ParmrkDecoder } from "../../src/linux/uart.js";
import type { ReceivedByte } from "../../src/hal/uart.js";
import { loadBoard } from "../../src/sim/board.js";
import { withCrc } from "../../src/sim/modbus.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import { demoCopy } from "../sim/helpers.js";
import { FakeContext } from "../sim/fake-context.js";
import { createUartHost } from "../../src/agent/host/uart.js";
import { EventKind, Parity, Status, StopBits } from "../../src/abi/host.generated.js";
import { PtyLab, waitFor } from "./pty-modbus.js";

const lab = new PtyLab("fwx-linux-uart-");
const dir = lab.dir;
const root = resolve(import.meta.dirname, "../..");
const at = { nowUs: 0n, caller: "test" };
const ptyPair = () => lab.ptyPair();
const startSlave = (device: string, registers: number[]) => lab.startSlave(device, registers);

// Every trace column the demo profile reads, one row each.
const TRACE = ["time,sensor,value", ...["cold_room", "pump_vibration", "pump_pressure_mv", "meter_voltage", "meter_current", "meter_power", "meter_energy_kwh"].map((c) => `0,${c},1`), "0,door,0", "0,pump_running,1"].join("\n");

/** The demo profile with its Modbus port (port 1, 9600 8E1) on `device`. */
function linuxProfile(device: string): any {
  const profile = demoCopy();
  delete profile.uart[0].device;
  profile.uart[0].backend = { linux: { device } };
  return profile;
}

function port(device: string): LinuxUartPort {
  return new LinuxUartPort({
    port: 1, name: "rs485", device, bauds: [9600], parities: ["none", "even"], stopBits: [1], rxBufferBytes: 256, txBufferBytes: 256, flowControl: "none", where: "boards/x.json: uart[0]",
  });
}

/** Opens, sends `request`, and collects bursts for `ms`. */
async function exchange(p: LinuxUartPort, request: Uint8Array, ms: number, wantBytes: number) {
  const bursts: { bytes: number; waiting: number }[] = [];
  expect(p.open({ baud: 9600, parity: "even", stopBits: 1 }, at, (burst, waiting) => bursts.push({ bytes: burst.length, waiting }))).toBeNull();
  expect(p.write(request, at)).toBe(request.length);
  const until = Date.now() + ms;
  await waitFor("the answer", ms + 1000, () => bursts.reduce((n, b) => n + b.bytes, 0) >= wantBytes || Date.now() > until);
  return bursts;
}

beforeAll(() => lab.setUp(), 600_000);
afterAll(() => lab.close());

describe("the Linux UART backend on a pseudo-terminal", () => {
  it("reads input registers from an independent Modbus RTU slave (libmodbus)", async () => {
    const { ours, theirs } = await ptyPair();
    const slave = await startSlave(theirs, [0x4348, 0x0000, 0x0001, 0xff02]);
    const p = port(ours);
    try {
      const bursts = await exchange(p, withCrc([1, 4, 0, 0, 0, 4]), 3000, 13);
      const answer = withCrc([1, 4, 8, 0x43, 0x48, 0, 0, 0, 1, 0xff, 0x02]);
      expect(bursts.reduce((n, b) => n + b.bytes, 0)).toBe(answer.length);
      expect(bursts.at(-1)!.waiting).toBe(answer.length);
      const r = p.read(256);
      expect(r.error).toBeUndefined();
      expect(r.bytes).toEqual([...answer]); // a 0xff data byte survives PARMRK's escaping
      expect(p.read(256).bytes).toEqual([]);
    } finally {
      p.close();
      slave.kill("SIGKILL");
    }
  });

  it("hears nothing when the slave stops answering, and reads return no bytes", async () => {
    const { ours, theirs } = await ptyPair();
    const slave = await startSlave(theirs, [1]);
    slave.kill("SIGSTOP");
    const p = port(ours);
    try {
      const bursts = await exchange(p, withCrc([1, 4, 0, 0, 0, 1]), 600, 1);
      expect(bursts).toEqual([]);
      expect(p.read(256)).toEqual({ bytes: [] });
    } finally {
      p.close();
      slave.kill("SIGKILL");
    }
  });

  it("a line that never goes quiet still raises rx events, one per receive buffer's worth, while it streams", async () => {
    const { ours, theirs } = await ptyPair();
    const far = openSync(theirs, constants.O_RDWR | constants.O_NOCTTY);
    const p = new LinuxUartPort({
      port: 1, name: "gps", device: ours, bauds: [1200], parities: ["none"], stopBits: [1], rxBufferBytes: 64, txBufferBytes: 64, flowControl: "none", where: "boards/x.json: uart[0]",
    });
    const bursts: number[] = [];
    try {
      // 1200 baud: the line counts as quiet after 3.5 characters, 29 ms. A chunk every 4 ms never leaves it quiet.
      expect(p.open({ baud: 1200, parity: "none", stopBits: 1 }, at, (burst) => bursts.push(burst.length))).toBeNull();
      const chunk = new Uint8Array(16).fill(0x41);
      const streamFor = Date.now() + 400;
      while (Date.now() < streamFor) {
        writeSync(far, chunk);
        await new Promise((r) => setTimeout(r, 4));
      }
      // About 1600 bytes arrived: several bursts of 64 or more, not one after the stream ends.
      expect(bursts.filter((n) => n >= 64).length).toBeGreaterThan(1);
    } finally {
      p.close();
      closeSync(far);
    }
  });

  it("gives the descriptor back on close, so the port can be opened again", async () => {
    const { ours } = await ptyPair();
    const fds = () => readdirSync("/proc/self/fd").length;
    const p = port(ours);
    const before = fds();
    expect(p.open({ baud: 9600, parity: "none", stopBits: 1 }, at, () => {})).toBeNull();
    expect(p.open({ baud: 9600, parity: "none", stopBits: 1 }, at, () => {})).toMatchObject({ kind: "busy" });
    p.close();
    await waitFor("the descriptor to close", 2000, () => fds() === before);
    expect(p.open({ baud: 9600, parity: "none", stopBits: 1 }, at, () => {})).toBeNull();
    p.close();
  });

  it("answers unsupported, with stty's reason, when the device takes no line settings (/dev/null is no tty)", () => {
    const fds = () => readdirSync("/proc/self/fd").length;
    const before = fds();
    const refused = port("/dev/null").open({ baud: 9600, parity: "even", stopBits: 1 }, at, () => {});
    expect(refused).toMatchObject({ kind: "unsupported" });
    expect(refused!.detail).toMatch(/^\/dev\/null refused the line settings \(stty raw -echo 9600 cs8 -cstopb .* parenb -parodd .*: .+\)$/);
    expect(fds()).toBe(before);
  });

  it("serves the agent's fwx:uart@1 host: open, write, an rx event, read the slave's answer, close", async () => {
    const { ours, theirs } = await ptyPair();
    const slave = await startSlave(theirs, [0x0102, 0x0304]);
    const board = loadBoard(linuxProfile(ours), { source: "boards/x.json", trace: parseTraceCsv(TRACE, "t.csv"), hardware: linuxHardware() });
    const ctx = new FakeContext("meter", { uart: [1] });
    const uart = createUartHost(board.peripherals, ctx);
    try {
      const h = { handle: 0 };
      expect(uart.open(1, 9600, Parity.even, StopBits.one, h)).toBe(Status.ok);
      expect(uart.open(1, 9600, Parity.even, StopBits.one, { handle: 0 })).toBe(Status.busy);
      const request = withCrc([1, 4, 0, 0, 0, 2]);
      const w = { written: 0 };
      expect(uart.write(h.handle, request, w)).toBe(Status.ok);
      expect(w.written).toBe(request.length);
      await waitFor("the uart rx event", 3000, () => ctx.posted.reduce((n, e) => (e.kind === EventKind.uartRx ? e.arg : n), 0) >= 9);
      expect(ctx.posted.every((e) => e.kind === EventKind.uartRx && e.handle === h.handle)).toBe(true);
      const rx = new Uint8Array(64);
      const r = { received: 0 };
      expect(uart.read(h.handle, rx, r)).toBe(Status.ok);
      expect([...rx.subarray(0, r.received)]).toEqual([...withCrc([1, 4, 4, 1, 2, 3, 4])]);
      expect(ctx.events.filter((e) => e.kind === "uart" && e.dir === "tx").map((e) => e.hex)).toEqual(["01 04 00 00 00 02 71 cb"]);
      expect(uart.close(h.handle)).toBe(Status.ok);
      expect(uart.open(1, 9600, Parity.even, StopBits.one, h)).toBe(Status.ok); // free again
    } finally {
      ctx.stop();
      slave.kill("SIGKILL");
    }
  });

  it("serves a profile's Linux port through the board, in the connector's place", async () => {
    const { ours } = await ptyPair();
    const board = loadBoard(linuxProfile(ours), { source: "boards/x.json", trace: parseTraceCsv(TRACE, "t.csv"), hardware: linuxHardware() });
    expect(board.peripherals.uart(1)).toBeInstanceOf(LinuxUartPort);
  });
});

describe("device files a profile names", () => {
  it("refuses a missing device, naming the connector and the path", () => {
    expect(() => port(join(dir, "ttyUSB9"))).toThrow(new DeviceFileError(`boards/x.json: uart[0]: serial device ${join(dir, "ttyUSB9")} does not exist (is the device connected and its driver loaded?)`));
  });

  it("refuses a file that is not a character device", () => {
    const file = join(dir, "plain");
    writeFileSync(file, "");
    expect(() => port(file)).toThrow(`boards/x.json: uart[0]: ${file} is not a character device, so it cannot be the serial device`);
  });

  it("names the group a user without permission needs", async () => {
    const { theirs } = await ptyPair();
    const group = spawnSync("stat", ["-L", "-c", "%G", theirs], { encoding: "utf8" }).stdout.trim();
    expect(group).not.toBe("");
    const expected = `boards/x.json: uart[0]: no permission to read and write serial device ${theirs} (owned by group ${group}); add the user that runs fwx to group ${group} (usermod -aG ${group} <user>) and log in again`;
    if (process.getuid?.() !== 0) {
      // Our own pty: with its mode at 000, not even its owner may open it.
      chmodSync(theirs, 0o000);
      expect(() => port(theirs)).toThrow(expected);
      return;
    }
    // Root may open anything: check as user nobody, in a child process.
    const entry = join(dir, "check-entry.ts");
    writeFileSync(entry, `import { checkCharacterDevice } from ${JSON.stringify(join(root, "src/linux/device-file.ts"))};\ntry { checkCharacterDevice(process.argv[2]!, "boards/x.json: uart[0]", "serial device"); console.log("ok"); } catch (e) { console.log((e as Error).message); }\n`);
    const bundle = join(dir, "check.mjs");
    await build({ entryPoints: [entry], outfile: bundle, bundle: true, platform: "node", format: "esm", logLevel: "error" });
    chmodSync(dir, 0o755);
    chmodSync(bundle, 0o644);
    chmodSync(theirs, 0o600); // socat makes it so already; nobody may not open it
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, bundle, theirs], { encoding: "utf8", timeout: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(expected);
  });
});

describe("PARMRK decoding", () => {
  const decode = (chunks: number[][], damaged: ReceivedByte["error"] = "parity") => {
    const d = new ParmrkDecoder(damaged);
    return chunks.flatMap((c) => d.push(Uint8Array.from(c)));
  };
  it("turns 0xff 0xff into one 0xff and 0xff 0x00 b into a damaged b, across chunk boundaries", () => {
    expect(decode([[1, 0xff], [0xff, 2]])).toEqual([{ byte: 1 }, { byte: 0xff }, { byte: 2 }]);
    expect(decode([[0xff], [0x00], [0x41, 3]])).toEqual([{ byte: 0x41, error: "parity" }, { byte: 3 }]);
    expect(decode([[0xff, 0x00, 0x00]], "frame-format")).toEqual([{ byte: 0, error: "frame-format" }]);
  });
});
