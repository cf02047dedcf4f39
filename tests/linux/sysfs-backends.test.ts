// The IIO ADC and PWM class backends against directory trees laid out as the
// kernel's ABI documents describe them (Documentation/ABI/testing/
// sysfs-bus-iio and sysfs-class-pwm). The sysfs root is the only thing the
// test changes; no kernel driver is behind these files, so this proves the
// files read and written and their order, not a real converter's behaviour.

import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeviceFileError } from "../../src/linux/device-file.js";
import { IioAdcChannel } from "../../src/linux/iio-adc.js";
import { PwmClassChannel } from "../../src/linux/pwm-class.js";
import { PeripheralFailure } from "../../src/hal/errors.js";
import { permissionError } from "../../src/linux/sysfs.js";

const at = { nowUs: 0n, caller: "test" };
let root = "";
const put = (rel: string, text: string) => {
  const p = join(root, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  return p;
};
const get = (rel: string) => readFileSync(join(root, rel), "utf8");
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "fwx-sysfs-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const iio = "bus/iio/devices/iio:device0";
const adc = (index = 1) => new IioAdcChannel({ channel: 0, name: "ain1", bits: 12, vrefMv: 3300, device: "iio:device0", index, where: "pi.json: adc[0]", sysfsRoot: root });

describe("IIO ADC channel", () => {
  it("reads (raw + offset) * scale millivolts with a per-channel scale, on every read", () => {
    put(`${iio}/in_voltage1_raw`, "2048\n");
    put(`${iio}/in_voltage1_scale`, "0.805664062\n");
    const ch = adc();
    expect(ch.read(at)).toEqual({ ok: true, raw: 2048, millivolts: 1650 });
    put(`${iio}/in_voltage1_raw`, "100\n");
    expect(ch.read(at)).toEqual({ ok: true, raw: 100, millivolts: 81 });
  });
  it("saturates to the ABI's 0 .. 2^bits - 1 counts and non-negative millivolts: a bipolar converter's reading below zero, one past the profile's bits, a negative offset", () => {
    put(`${iio}/in_voltage1_raw`, "-3\n");
    put(`${iio}/in_voltage1_scale`, "0.805664062\n");
    const ch = adc();
    expect(ch.read(at)).toEqual({ ok: true, raw: 0, millivolts: 0 });
    put(`${iio}/in_voltage1_raw`, "32767\n");
    expect(ch.read(at)).toEqual({ ok: true, raw: 4095, millivolts: 3299 });
    put(`${iio}/in_voltage1_raw`, "2\n");
    put(`${iio}/in_voltage_offset`, "-10\n");
    expect(adc().read(at)).toEqual({ ok: true, raw: 2, millivolts: 0 });
  });
  it("uses the shared in_voltage_scale and in_voltage_offset when the channel has none", () => {
    put(`${iio}/in_voltage1_raw`, "10\n");
    put(`${iio}/in_voltage_scale`, "0.805664062\n");
    put(`${iio}/in_voltage_offset`, "-5\n");
    expect(adc().read(at)).toEqual({ ok: true, raw: 10, millivolts: 4 });
  });
  it("a converter whose full scale disagrees with the profile's bits and vrefMv is refused at load, naming both", () => {
    put(`${iio}/in_voltage1_raw`, "10\n");
    put(`${iio}/in_voltage1_scale`, "0.0625\n"); // an ADS1115 at its default gain: 2.048 V over 2^15 counts
    expect(() => adc()).toThrow(new DeviceFileError("pi.json: adc[0]: IIO channel in_voltage1 has a full scale of 256 mV (2^12 counts × scale 0.0625 mV), but the profile's bits 12 and vrefMv 3300 say 3300 mV; set bits and vrefMv to the converter's (its gain or reference setting decides the scale)"));
    expect(new IioAdcChannel({ channel: 0, name: "ain1", bits: 15, vrefMv: 2048, device: "iio:device0", index: 1, where: "pi.json: adc[0]", sysfsRoot: root }).read(at)).toEqual({ ok: true, raw: 10, millivolts: 1 });
  });
  it("a missing IIO device is a refusal naming the connector and the path", () => {
    expect(() => adc()).toThrow(DeviceFileError);
    expect(() => adc()).toThrow(`pi.json: adc[0]: IIO device ${join(root, iio)} does not exist`);
  });
  it("a channel the device lacks, or no scale, is named", () => {
    put(`${iio}/in_voltage0_raw`, "1\n");
    expect(() => adc(1)).toThrow(/has no voltage channel 1 .*in_voltage1_raw does not exist/);
    expect(() => adc(0)).toThrow(/neither in_voltage0_scale nor in_voltage_scale/);
  });
  it("a device that does not match the profile is refused at load like a missing file (DeviceFileError: a usage error, not an internal one)", () => {
    put(`${iio}/in_voltage0_raw`, "1\n");
    expect(() => adc(1)).toThrow(DeviceFileError);
    expect(() => adc(1)).toThrow(`pi.json: adc[0]: IIO device ${join(root, iio)} has no voltage channel 1`);
    expect(() => adc(0)).toThrow(DeviceFileError);
    put(`${iio}/in_voltage0_scale`, "n/a\n");
    expect(() => adc(0)).toThrow(new DeviceFileError(`pi.json: adc[0]: ${join(root, iio, "in_voltage0_scale")} holds "n/a", not a number`));
    mkdirSync(join(root, iio, "in_voltage_offset")); // unreadable: EISDIR
    put(`${iio}/in_voltage0_scale`, "1\n");
    expect(() => adc(0)).toThrow(DeviceFileError);
    expect(() => adc(0)).toThrow(/^pi\.json: adc\[0\]: reading .*in_voltage_offset: EISDIR/);
  });
  it("a value that is not a count is the host's failure, naming the file", () => {
    put(`${iio}/in_voltage1_raw`, "1\n");
    put(`${iio}/in_voltage1_scale`, "0.805664062\n");
    const ch = adc();
    put(`${iio}/in_voltage1_raw`, "busy\n");
    expect(() => ch.read(at)).toThrow(PeripheralFailure);
    expect(() => ch.read(at)).toThrow(/in_voltage1_raw holds "busy"/);
  });
});

const chip = "class/pwm/pwmchip0";
const pwm = (index = 0) => new PwmClassChannel({ channel: 0, name: "fan", minHz: 1, maxHz: 100_000, chip: "pwmchip0", index, where: "pi.json: pwm[0]", sysfsRoot: root });
const pwmChip = (exported: boolean, enable = "0") => {
  put(`${chip}/npwm`, "2\n");
  put(`${chip}/export`, "");
  put(`${chip}/unexport`, "");
  if (exported) for (const f of ["period", "duty_cycle"]) put(`${chip}/pwm0/${f}`, "0\n");
  if (exported) put(`${chip}/pwm0/enable`, `${enable}\n`);
};

describe("PWM class channel", () => {
  it("start sets duty 0 before the period, then enables; setDuty writes ns of the period; stop disables", () => {
    pwmChip(true);
    const ch = pwm();
    expect(ch.start(1000)).toBeNull();
    expect(get(`${chip}/pwm0/period`)).toBe("1000000");
    expect(get(`${chip}/pwm0/duty_cycle`)).toBe("0");
    expect(get(`${chip}/pwm0/enable`)).toBe("1");
    ch.setDuty(0.25);
    expect(get(`${chip}/pwm0/duty_cycle`)).toBe("250000");
    expect(ch.duty).toBe(0.25);
    ch.stop();
    expect(get(`${chip}/pwm0/duty_cycle`)).toBe("0");
    expect(get(`${chip}/pwm0/enable`)).toBe("0");
    expect(get(`${chip}/unexport`)).toBe(""); // exported outside fwx: left exported
  });
  it("a period the driver refuses (EINVAL) is pwm.open's unsupported, not a host failure", () => {
    pwmChip(false);
    mkdirSync(join(root, chip, "pwm0"));
    for (const f of ["duty_cycle", "enable"]) put(`${chip}/pwm0/${f}`, "0\n");
    // Stands in for a driver's period: the kernel answers a write of a number outside -1000..1000 with EINVAL.
    symlinkSync("/proc/self/oom_score_adj", join(root, chip, "pwm0/period"));
    expect(pwm().start(1000)).toEqual({ ok: false, kind: "unsupported", detail: `fan: ${join(root, chip, "pwm0/period")} refused a period of 1000000 ns (1000 Hz): EINVAL` });
    expect(get(`${chip}/pwm0/enable`)).toBe("0\n");
    expect(get(`${chip}/unexport`)).toBe(""); // exported outside fwx: left exported
  });
  it("a channel enabled outside fwx is busy", () => {
    pwmChip(true, "1");
    expect(pwm().start(50)).toMatchObject({ ok: false, kind: "busy" });
  });
  it("an unexported channel is exported; when pwmK does not appear the failure names it", () => {
    pwmChip(false);
    const ch = pwm();
    expect(() => ch.start(50)).toThrow(PeripheralFailure);
    expect(get(`${chip}/export`)).toBe("0");
    expect(() => ch.start(50)).toThrow(`${join(root, chip, "pwm0")} did not appear after writing 0 to ${join(root, chip, "export")}`);
  });
  it("a missing chip or a channel beyond npwm is a refusal naming the connector and path", () => {
    expect(() => pwm()).toThrow(`pi.json: pwm[0]: PWM chip ${join(root, chip)} does not exist`);
    pwmChip(true);
    expect(() => pwm(2)).toThrow(/has 2 channels, so it has no pwm2/);
  });
  it("a chip whose npwm cannot be read or is not a count is refused at load naming the connector and file", () => {
    mkdirSync(join(root, chip), { recursive: true });
    expect(() => pwm()).toThrow(DeviceFileError);
    expect(() => pwm()).toThrow(new RegExp(`^pi\\.json: pwm\\[0\\]: reading ${join(root, chip, "npwm")}: ENOENT`));
    put(`${chip}/npwm`, "lots\n");
    expect(() => pwm()).toThrow(new DeviceFileError(`pi.json: pwm[0]: ${join(root, chip, "npwm")} holds "lots", not a channel count`));
  });
  it("a permission refusal names the group that owns the file (root here cannot be refused, so the message is checked directly)", () => {
    const path = put("class/pwm/pwmchip0/export", "");
    const dialout = readFileSync("/etc/group", "utf8").split("\n").map((l) => l.split(":")).find((f) => f[0] === "dialout");
    expect(dialout, "/etc/group has a dialout group").toBeDefined();
    chownSync(path, 0, Number(dialout![2]));
    expect(permissionError(path, "pi.json: pwm[0]", "gpio").message).toBe(`pi.json: pwm[0]: no permission to use ${path}; add the user that runs fwx to group dialout (usermod -aG dialout <user>) and log in again, with a udev rule giving that group the files (docs/agent.md)`);
    chownSync(path, 0, 0);
    expect(permissionError(path, "pi.json: pwm[0]", "gpio").message).toMatch(/to group gpio \(usermod -aG gpio/);
  });
});
