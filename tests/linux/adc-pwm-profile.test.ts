// ADC and PWM channels handed to Linux by a board profile
// ("backend": {"linux": {"device": "iio:device0", "index": 1}} and
// {"linux": {"chip": "pwmchip0", "index": 0}}): the schema and the validator
// take them (and refuse simulator data beside them), and a loaded board
// serves them from sysfs. The sysfs tree is a temporary one laid out as the
// kernel's ABI documents describe (no IIO or PWM driver on this machine).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { linuxConnectors, linuxHardware } from "../../src/linux/index.js";
import { loadBoard } from "../../src/sim/board.js";
import { validateProfile } from "../../src/sim/profile-validate.js";
import { parseTraceCsv } from "../../src/sim/trace.js";
import { DEMO_TRACE_TEXT, demoCopy, SCHEMA } from "../sim/helpers.js";
import { validateAgainst } from "../sim/schema-subset.js";

let root = "";
beforeEach(() => { root = mkdtempSync(join(tmpdir(), "fwx-adc-pwm-")); });
afterEach(() => rmSync(root, { recursive: true, force: true }));
const put = (rel: string, text: string) => {
  mkdirSync(join(root, rel, ".."), { recursive: true });
  writeFileSync(join(root, rel), text);
};

const demoTrace = () => parseTraceCsv(DEMO_TRACE_TEXT, "boards/traces/demo-day.csv");

/** The demo board with its first ADC and PWM channels on Linux. */
function linuxChannels() {
  const p = demoCopy();
  const a = p.adc[0], w = p.pwm[0];
  delete a.source;
  delete a.noise;
  a.backend = { linux: { device: "iio:device0", index: 1 } };
  w.backend = { linux: { chip: "pwmchip0", index: 0 } };
  return p;
}

describe("Linux ADC and PWM channels in a board profile", () => {
  it("satisfy the schema and the validator, and are named among the Linux connectors", () => {
    const p = linuxChannels();
    expect(validateAgainst(SCHEMA, p)).toEqual([]);
    const { profile } = validateProfile(p, "boards/x.json");
    expect(profile.adc[0]!.backend).toEqual({ of: "adc", device: "iio:device0", index: 1 });
    expect(profile.pwm[0]!.backend).toEqual({ of: "pwm", chip: "pwmchip0", index: 0 });
    expect(linuxConnectors(profile)).toEqual(["adc[0] iio:device0 in_voltage1", "pwm[0] pwmchip0 pwm0"]);
  });

  it("refuse simulator data beside a Linux backend, and a device that is not named as one", () => {
    const withSource = linuxChannels();
    withSource.adc[0].source = { constant: 1000 };
    expect(validateAgainst(SCHEMA, withSource)).not.toEqual([]);
    expect(() => validateProfile(withSource, "boards/x.json")).toThrow("boards/x.json: adc[0].source: is simulator data, but adc[0].backend hands this connector to Linux; remove one of them");
    const badDevice = linuxChannels();
    badDevice.pwm[0].backend.linux.chip = "/sys/class/pwm/pwmchip0";
    expect(() => validateProfile(badDevice, "boards/x.json")).toThrow(`boards/x.json: pwm[0].backend.linux.chip: "/sys/class/pwm/pwmchip0" is not a device path like pwmchip0`);
    const simWithout = demoCopy();
    delete simWithout.adc[0].source;
    expect(() => validateProfile(simWithout, "boards/x.json")).toThrow("boards/x.json: adc[0].source: is required");
  });

  it("are served from sysfs by a loaded board: an ADC read, a PWM start", () => {
    put("bus/iio/devices/iio:device0/in_voltage1_raw", "2048\n");
    put("bus/iio/devices/iio:device0/in_voltage1_scale", "0.805664062\n");
    put("class/pwm/pwmchip0/npwm", "2\n");
    put("class/pwm/pwmchip0/export", "");
    for (const f of ["period", "duty_cycle", "enable"]) put(`class/pwm/pwmchip0/pwm0/${f}`, "0\n");
    const board = loadBoard(linuxChannels(), { source: "boards/x.json", hardware: linuxHardware({ sysfsRoot: root }), trace: demoTrace() });
    const at = { nowUs: 0n, caller: "test" };
    const adc = board.peripherals.adc(board.profile.adc[0]!.channel)!;
    expect(adc.read(at)).toEqual({ ok: true, raw: 2048, millivolts: 1650 });
    const pwm = board.peripherals.pwm(board.profile.pwm[0]!.channel)!;
    expect(pwm.start(Math.max(pwm.minHz, 1000))).toBeNull();
    expect(readFileSync(join(root, "class/pwm/pwmchip0/pwm0/enable"), "utf8").trim()).toBe("1");
    // The other channels are still simulated.
    expect(board.profile.adc.slice(1).every((a) => board.peripherals.adc(a.channel) !== undefined)).toBe(true);
  });

  it("a missing IIO device is refused when the board loads, naming the connector", () => {
    expect(() => loadBoard(linuxChannels(), { source: "boards/x.json", hardware: linuxHardware({ sysfsRoot: root }), trace: demoTrace() }))
      .toThrow(/^boards\/x\.json: adc\[0\]: IIO device .*iio:device0 does not exist/);
  });
});
