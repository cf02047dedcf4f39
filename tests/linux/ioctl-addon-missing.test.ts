// A gateway where the native ioctl addon was not built (npm ci's build of it
// failed and went on with a note): a profile with a Linux GPIO, I2C or SPI
// connector is refused when the board loads, naming the connector and the
// command that builds the addon, as a DeviceFileError, which fwx agent, run
// and board serve report as a usage error (exit 2), not an internal one.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

const elsewhere = mkdtempSync(join(tmpdir(), "fwx-no-addon-"));
vi.mock("../../src/build/compile.js", async (orig) => ({ ...(await orig<typeof import("../../src/build/compile.js")>()), packageRoot: () => elsewhere }));

const { LinuxI2cBus } = await import("../../src/linux/i2c.js");
const { DeviceFileError } = await import("../../src/linux/device-file.js");

describe("without the native ioctl addon", () => {
  it("an I2C connector is refused at load as a DeviceFileError naming the connector and the build command", () => {
    const open = () => new LinuxI2cBus({ bus: 1, name: "i2c1", device: "/dev/null", where: "pi.json: i2c[0]" });
    expect(open).toThrow(DeviceFileError);
    expect(open).toThrow(`pi.json: i2c[0]: the Linux GPIO/I2C/SPI backends need the native ioctl addon ${join(elsewhere, "build/native/fwx_linux_ioctl.node")}; build it with: node ${join(elsewhere, "scripts/ensure-linux-ioctl.mjs")}`);
  });
});
