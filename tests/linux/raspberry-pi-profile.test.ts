// The Raspberry Pi profiles: boards/raspberry-pi-4.json (what this build can
// serve from Linux today: the header UART) and boards/raspberry-pi-4-header.json
// (the whole 40-pin header: GPIO lines, I2C1, SPI0, the UART), both checked
// against the profile schema and the validator. The header profile loads with
// the Linux GPIO/I2C/SPI backends, refused only for a missing device file;
// the UART profile must open a real serial device (a socat pty via --dev).

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyDeviceOverrides, parseDeviceOverride } from "../../src/linux/dev-override.js";
import { DeviceFileError } from "../../src/linux/device-file.js";
import { linuxConnectors, linuxHardware } from "../../src/linux/index.js";
import { LinuxUartPort } from "../../src/linux/uart.js";
import { loadBoard, loadBoardFile } from "../../src/sim/board.js";
import { validateProfile } from "../../src/sim/profile-validate.js";
import { SCHEMA } from "../sim/helpers.js";
import { validateAgainst } from "../sim/schema-subset.js";
import { PtyLab } from "./pty-modbus.js";

const root = resolve(import.meta.dirname, "../..");
const UART_PROFILE = join(root, "boards/raspberry-pi-4.json");
const HEADER_PROFILE = join(root, "boards/raspberry-pi-4-header.json");
const read = (p: string) => JSON.parse(readFileSync(p, "utf8"));
const lab = new PtyLab("fwx-linux-pi-");
beforeAll(() => lab.setUp(), 600_000);
afterAll(() => lab.close());

// BCM GPIO → physical pin of the 40-pin header (Raspberry Pi 2 B and later).
const HEADER_PIN: Record<number, number> = {
  2: 3, 3: 5, 4: 7, 14: 8, 15: 10, 17: 11, 18: 12, 27: 13, 22: 15, 23: 16, 24: 18, 10: 19, 9: 21, 25: 22, 11: 23, 8: 24, 7: 26,
  0: 27, 1: 28, 5: 29, 6: 31, 12: 32, 13: 33, 19: 35, 16: 36, 26: 37, 20: 38, 21: 40,
};
/** Lines the profile's buses use (I2C1, SPI0, the UART) and the HAT ID EEPROM's: not free for GPIO. */
const TAKEN = [0, 1, 2, 3, 7, 8, 9, 10, 11, 14, 15];

describe("Raspberry Pi board profiles", () => {
  it("both satisfy boards/schema.json and the validator", () => {
    for (const p of [UART_PROFILE, HEADER_PROFILE]) {
      expect(validateAgainst(SCHEMA, read(p)), p).toEqual([]);
      expect(() => validateProfile(read(p), p)).not.toThrow();
    }
  });

  it("maps every free header line by BCM number on /dev/gpiochip0, named after its header pin, and the buses to their device files", () => {
    const { profile } = validateProfile(read(HEADER_PROFILE), HEADER_PROFILE);
    const free = Object.keys(HEADER_PIN).map(Number).filter((l) => !TAKEN.includes(l)).sort((a, b) => a - b);
    expect(profile.gpio.map((g) => g.pin)).toEqual(free);
    for (const g of profile.gpio) {
      expect(g.backend).toEqual({ of: "gpio", chip: "/dev/gpiochip0", line: g.pin });
      expect(g.name).toBe(`gpio${g.pin}_pin${HEADER_PIN[g.pin]}`);
    }
    expect(profile.i2c.map((b) => b.backend)).toEqual([{ of: "i2c", device: "/dev/i2c-1" }]);
    expect(profile.spi[0]!.backend!.devices.map((d) => d.device)).toEqual(["/dev/spidev0.0", "/dev/spidev0.1"]);
    expect(profile.uart.map((u) => u.backend?.device)).toEqual(["/dev/serial0"]);
    expect(profile.grantable.gpio!.map((g) => g.pin)).toEqual(free);
  });

  it("the header profile loads with the Linux backends; on a machine without the Pi's device files it is refused naming gpio[0] and /dev/gpiochip0", () => {
    let refusal: unknown = null;
    try {
      loadBoardFile(HEADER_PROFILE, { source: "boards/raspberry-pi-4-header.json", hardware: linuxHardware() });
    } catch (e) {
      refusal = e;
    }
    // This test machine has no /dev/gpiochip0; on a Pi the profile loads (refusal stays null).
    if (refusal !== null) {
      expect(refusal).toBeInstanceOf(DeviceFileError);
      expect((refusal as Error).message).toMatch(/^boards\/raspberry-pi-4-header\.json: gpio\[0\]: (GPIO chip \/dev\/gpiochip0 does not exist|no permission to read and write GPIO chip \/dev\/gpiochip0)/);
    }
  });

  it("the UART profile names /dev/serial0, and serves a real serial device given with --dev", async () => {
    const json = read(UART_PROFILE);
    const { profile } = validateProfile(json, UART_PROFILE);
    expect(linuxConnectors(profile)).toEqual(["uart[0] /dev/serial0"]);
    // No Pi here: loading as is must name the connector and the device file (unless this machine has one).
    let refusal: unknown = null;
    try {
      loadBoard(json, { source: "boards/raspberry-pi-4.json", hardware: linuxHardware() });
    } catch (e) {
      refusal = e;
    }
    if (refusal !== null) {
      expect(refusal).toBeInstanceOf(DeviceFileError);
      expect((refusal as Error).message).toMatch(/^boards\/raspberry-pi-4\.json: uart\[0\]: (serial device \/dev\/serial0 does not exist|no permission to read and write serial device \/dev\/serial0|\/dev\/serial0 is not a character device)/);
    }
    const { ours } = await lab.ptyPair();
    const board = loadBoard(applyDeviceOverrides(json, [parseDeviceOverride(`serial0=${ours}`)], "boards/raspberry-pi-4.json"), { source: "boards/raspberry-pi-4.json", hardware: linuxHardware() });
    expect(board.peripherals.uart(1)).toBeInstanceOf(LinuxUartPort);
    expect(linuxConnectors(board.profile)).toEqual([`uart[0] ${ours}`]);
  });
});
