// A gateway where the native ioctl addon was not built (npm ci's build of it
// failed and went on with a note): a profile with a Linux GPIO, I2C or SPI
// connector is refused when the board loads, naming the connector and the
// command that builds the addon, as a DeviceFileError, which fwx agent, run
// and board serve report as a usage error (exit 2), not an internal one.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { DeviceFileError } from "../../src/linux/device-file.js";
import { loadIoctl } from "../../src/linux/ioctl.js";

describe("without the native ioctl addon", () => {
  it("loading it is refused as a DeviceFileError naming the connector and the build command", () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "fwx-no-addon-"));
    onTestFinished(() => rmSync(elsewhere, { recursive: true, force: true }));
    const load = () => loadIoctl("pi.json: i2c[0]", elsewhere);
    expect(load).toThrow(DeviceFileError);
    expect(load).toThrow(`pi.json: i2c[0]: the Linux GPIO/I2C/SPI backends need the native ioctl addon ${join(elsewhere, "build/native/fwx_linux_ioctl.node")}; build it with: node ${join(elsewhere, "scripts/ensure-linux-ioctl.mjs")}`);
  });
});
