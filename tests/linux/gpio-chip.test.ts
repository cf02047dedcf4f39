// A Linux GPIO pin checks its line against the chip when the board loads
// (GPIO_GET_CHIPINFO_IOCTL), so a profile naming a line the chip lacks is
// refused naming the connector, not at the module's first gpio.configure.
// A kernel too old for the uAPI v2 line requests is refused then too.
// The native addon is replaced by one that answers as a 58-line
// pinctrl-bcm2711 chip does (no gpiochip on this machine); the chip file is
// /dev/null, a character device every machine has. A watched line's edge
// events are read from a FIFO standing in for the line fd. (The stand-in is
// passed to the pin, not mocked: test files share their worker's modules.)

import { spawnSync } from "node:child_process";
import { constants as fsConstants, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { DeviceFileError } from "../../src/linux/device-file.js";
import { EVENT_BUFFER, EVENT_POLL_MS, LinuxGpioPin } from "../../src/linux/gpio.js";
import * as U from "../../src/linux/uapi.js";

const E = constants.errno;
let lineRequest = 0;
let lineFd = -1;
let v2 = true;
const chip = {
  ioctl(_fd: number, request: number, arg: Uint8Array): number {
    if (request === U.GPIO_GET_CHIPINFO_IOCTL) {
      arg.set(new TextEncoder().encode("gpiochip0"), U.GPIO_LAYOUT.chipInfo.name);
      arg.set(new TextEncoder().encode("pinctrl-bcm2711"), U.GPIO_LAYOUT.chipInfo.label);
      new DataView(arg.buffer, arg.byteOffset).setUint32(U.GPIO_LAYOUT.chipInfo.lines, 58, true);
      return 0;
    }
    if (request === U.GPIO_V2_GET_LINE_IOCTL) {
      if (lineRequest === 0) new DataView(arg.buffer, arg.byteOffset).setInt32(U.GPIO_LAYOUT.lineRequest.fd, lineFd, true);
      return lineRequest;
    }
    if (request === U.GPIO_V2_LINE_SET_CONFIG_IOCTL) return 0;
    if (request === U.GPIO_V2_GET_LINEINFO_IOCTL) return v2 ? 0 : -E.EINVAL; // what gpiolib before 5.10 answers an ioctl it does not know
    return -E.ENOTTY;
  },
  i2cRdwr: () => -E.ENOTTY,
  spiTransfer: () => -E.ENOTTY,
  setNonblocking: () => 0,
};
const at = { nowUs: 0n, caller: "test" };
const pin = (line: number) => new LinuxGpioPin({ number: line, name: `gpio${line}`, modes: ["input", "output"], chip: "/dev/null", line, where: "pi.json: gpio[3]", io: chip });

describe("a Linux GPIO line against its chip", () => {
  it("a line past the chip's last is refused at load, naming the connector, the chip's label and its lines", () => {
    expect(() => pin(58)).toThrow(DeviceFileError);
    expect(() => pin(60)).toThrow("pi.json: gpio[3]: /dev/null (pinctrl-bcm2711) has 58 lines, 0..57, so it has no line 60 (backend.linux.line)");
  });
  it("a kernel without GPIO uAPI v2 (before Linux 5.10) is refused at load, not at every gpio.claim as unsupported", () => {
    v2 = false;
    try {
      expect(() => pin(17)).toThrow(new DeviceFileError("pi.json: gpio[3]: /dev/null does not take GPIO character device uAPI v2 requests (GPIO_V2_GET_LINEINFO_IOCTL: EINVAL); fwx needs Linux 5.10 or later"));
    } finally {
      v2 = true;
    }
  });
  it("a line the chip has loads, and a request the chip refuses (EBUSY, EINVAL) is a claim refusal, the pin staying released", () => {
    const p = pin(57);
    try {
      lineRequest = -E.EBUSY;
      expect(p.configure("output", at)).toEqual({ ok: false, kind: "busy", detail: "gpio57: /dev/null line 57 refused output (EBUSY)" });
      lineRequest = -E.EINVAL;
      expect(p.configure("input", at)).toMatchObject({ ok: false, kind: "unsupported" });
      expect(p.mode).toBeNull();
    } finally {
      p.close();
    }
  });
  it("one poll of a watched line reads at most one kernel event buffer, so a line toggling faster than its events are handled cannot hold the agent", () => {
    // The line fd is a FIFO holding 1000 rising edges, as a kernel buffer refilled while the agent reads would.
    const dir = mkdtempSync(join(tmpdir(), "fwx-gpio-storm-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, "line");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    lineFd = openSync(fifo, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    const size = U.GPIO_LAYOUT.lineEvent.size;
    const events = new Uint8Array(1000 * size);
    const v = new DataView(events.buffer);
    for (let i = 0; i < 1000; i++) v.setUint32(i * size + U.GPIO_LAYOUT.lineEvent.id, U.GpioLineEventId.RISING_EDGE, true);
    expect(writeSync(lineFd, events)).toBe(events.byteLength);
    vi.useFakeTimers();
    const p = pin(17);
    try {
      lineRequest = 0;
      expect(p.configure("input", at)).toBeNull();
      let seen = 0;
      p.watch(() => seen++, at);
      vi.advanceTimersByTime(EVENT_POLL_MS);
      expect(seen).toBe(EVENT_BUFFER);
      vi.advanceTimersByTime(EVENT_POLL_MS);
      expect(seen).toBe(2 * EVENT_BUFFER); // the rest follows, poll by poll
    } finally {
      vi.useRealTimers();
      p.close(); // closes the line fd
      lineFd = -1;
    }
  });
});
