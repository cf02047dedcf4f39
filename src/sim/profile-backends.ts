// Which backend serves each connector of a board profile. A connector with
// no `backend` (or `"backend": "sim"`) is simulated from the profile's own
// data; `"backend": {"linux": {...}}` hands it to the Linux kernel's
// user-space interface at the device path given. Such a connector carries no
// simulator data (a pin's `drive`, a bus's simulated `devices` and `faults`,
// a port's `device`, a channel's `source`), so a profile cannot describe both.

import { JsonReader, type JsonObject } from "./profile-json.js";
import type { LinuxBackend, LinuxBackendKind } from "./profile-types.js";

/** The fields each kind's `linux` object takes. */
const LINUX_FIELDS: Record<LinuxBackendKind, readonly string[]> = {
  gpio: ["chip", "line"],
  i2c: ["device"],
  spi: ["devices"],
  uart: ["device", "flowControl"],
  adc: ["device", "index"],
  pwm: ["chip", "index"],
};

/** Simulator-only fields of each kind of connector: refused when Linux serves it. */
export const SIM_ONLY_FIELDS: Record<LinuxBackendKind, readonly string[]> = {
  gpio: ["drive"],
  i2c: ["devices", "faults"],
  spi: ["devices", "faults"],
  uart: ["device"],
  adc: ["source", "noise"],
  pwm: [],
};

const FLOW_CONTROL = ["none", "rts-cts", "xon-xoff"] as const;

/**
 * The rates (300 and up) Linux termios has a B-constant for, the only ones
 * stty(1) sets (src/linux/uart.ts): a Linux port listing another one (31250
 * MIDI, 250000 DMX) would pass the profile and be refused at every open.
 */
export const LINUX_TERMIOS_BAUDS: readonly number[] = [300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000];

function devicePath(r: JsonReader, o: JsonObject, key: string, path: string, re: RegExp, example: string): string {
  const v = r.string(o, key, path);
  if (!re.test(v)) r.fail(JsonReader.join(path, key), `${JSON.stringify(v)} is not a device path like ${example}`);
  return v;
}

/**
 * The backend of one connector (`o` is its object at `path`): undefined for
 * the simulator, else the Linux device it names. Checks that a Linux connector
 * has none of the simulator's fields.
 */
export function connectorBackend<K extends LinuxBackendKind>(r: JsonReader, o: JsonObject, path: string, kind: K): Extract<LinuxBackend, { of: K }> | undefined {
  const v = o.backend;
  const bp = JsonReader.join(path, "backend");
  if (v === undefined || v === "sim") return undefined;
  if (typeof v === "string") r.fail(bp, `unknown backend ${JSON.stringify(v)} (known: "sim", {"linux": {...}})`);
  const outer = r.object(v, bp, ["linux"]);
  const lp = JsonReader.join(bp, "linux");
  const l = r.object(r.required(outer, "linux", bp), lp, LINUX_FIELDS[kind]);
  for (const f of SIM_ONLY_FIELDS[kind])
    if (o[f] !== undefined) r.fail(JsonReader.join(path, f), `is simulator data, but ${bp} hands this connector to Linux; remove one of them`);
  let b: LinuxBackend;
  switch (kind) {
    case "gpio":
      b = { of: "gpio", chip: devicePath(r, l, "chip", lp, /^\/dev\/gpiochip\d+$/, "/dev/gpiochip0"), line: r.integer(l, "line", lp, 0, 65535) };
      break;
    case "i2c":
      b = { of: "i2c", device: devicePath(r, l, "device", lp, /^\/dev\/i2c-\d+$/, "/dev/i2c-1") };
      break;
    case "spi": {
      const devices = r.array(l, "devices", lp).map((d, i) => {
        const dp = `${lp}.devices[${i}]`;
        const dobj = r.object(d, dp, ["cs", "name", "device"]);
        return { cs: r.integer(dobj, "cs", dp, 0, 15), name: r.name(dobj, "name", dp), device: devicePath(r, dobj, "device", dp, /^\/dev\/spidev\d+\.\d+$/, "/dev/spidev0.0") };
      });
      if (devices.length === 0) r.fail(`${lp}.devices`, "must list at least one chip select");
      devices.forEach((d, i) => {
        const j = devices.findIndex((x) => x.cs === d.cs);
        if (j !== i) r.fail(`${lp}.devices[${i}].cs`, `duplicate chip select ${d.cs} (also at ${lp}.devices[${j}])`);
      });
      b = { of: "spi", devices };
      break;
    }
    case "uart":
      // Any absolute path: udev's stable names (/dev/serial/by-id/...) and a
      // bench's pseudo-terminal links are serial devices too.
      b = { of: "uart", device: devicePath(r, l, "device", lp, /^\/[A-Za-z0-9_.:+@/-]+$/, "/dev/ttyS1"), flowControl: r.oneOf(l, "flowControl", lp, FLOW_CONTROL, "none") };
      break;
    case "adc":
      b = { of: "adc", device: devicePath(r, l, "device", lp, /^iio:device\d+$/, "iio:device0"), index: r.integer(l, "index", lp, 0, 255) };
      break;
    case "pwm":
      b = { of: "pwm", chip: devicePath(r, l, "chip", lp, /^pwmchip\d+$/, "pwmchip0"), index: r.integer(l, "index", lp, 0, 255) };
      break;
    default:
      throw new Error(`connectorBackend: unknown kind ${String(kind)}`);
  }
  return b as Extract<LinuxBackend, { of: K }>;
}
