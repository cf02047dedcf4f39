// The first pwm.open after a boot on a gateway: the agent (not root, in
// group gpio) exports pwmK; the kernel creates pwmK/{period,duty_cycle,enable}
// at once but root-owned, and udev gives them group gpio a moment later
// (Raspberry Pi OS's 99-com.rules, docs/agent.md's rule). The start must wait
// for that, not write at once and be refused as if the user lacked the group.
// Here the agent runs in a child process (as user nobody when the tests run as root) against a sysfs tree
// in a temporary directory; this process plays the kernel (creates pwm0 when
// "0" is written to export) and udev (makes its files writable 200 ms later).
// And when no udev rule gave the chip's export a group at all, the board is
// refused at load naming the file and the group, as for other device files.

import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("PWM export and udev", () => {
  it("a start as a non-root user waits for udev to give the exported channel's files their group", async () => {
    dir = mkdtempSync(join(tmpdir(), "fwx-pwm-udev-"));
    chmodSync(dir, 0o755);
    const chip = join(dir, "sys/class/pwm/pwmchip0");
    mkdirSync(chip, { recursive: true });
    writeFileSync(join(chip, "npwm"), "1\n");
    for (const f of ["export", "unexport"]) {
      writeFileSync(join(chip, f), "");
      chmodSync(join(chip, f), 0o666); // what udev did for the chip at boot
    }
    const entry = join(dir, "start.ts");
    writeFileSync(entry, `import { PwmClassChannel } from ${JSON.stringify(join(root, "src/linux/pwm-class.ts"))};
const ch = new PwmClassChannel({ channel: 0, name: "fan", minHz: 1, maxHz: 100000, chip: "pwmchip0", index: 0, where: "pi.json: pwm[0]", sysfsRoot: process.argv[2]! });
try { console.log(JSON.stringify(ch.start(1000))); } catch (e) { console.log((e as Error).message); }
`);
    const bundle = join(dir, "start.mjs");
    await build({ entryPoints: [entry], outfile: bundle, bundle: true, platform: "node", format: "esm", logLevel: "error" });
    chmodSync(bundle, 0o644);
    // Root may write anything: the agent runs as user nobody then.
    const asAgent = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath] : [process.execPath];
    const child = spawn(asAgent[0]!, [...asAgent.slice(1), bundle, join(dir, "sys")], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const pwm0 = join(chip, "pwm0");
    const kernel = setInterval(() => {
      if (existsSync(pwm0) || readFileSync(join(chip, "export"), "utf8").trim() !== "0") return;
      mkdirSync(pwm0);
      chmodSync(pwm0, 0o755);
      for (const f of ["period", "duty_cycle", "enable"]) writeFileSync(join(pwm0, f), "0\n", { mode: 0o444 }); // not writable by the agent, whoever it runs as
      setTimeout(() => { for (const f of ["period", "duty_cycle", "enable"]) chmodSync(join(pwm0, f), 0o666); }, 200);
    }, 5);
    const code = await new Promise<number | null>((done) => child.on("close", done));
    clearInterval(kernel);
    expect(err).toBe("");
    expect(out.trim()).toBe("null");
    expect(code).toBe(0);
    expect(readFileSync(join(pwm0, "period"), "utf8")).toBe("1000000");
    expect(readFileSync(join(pwm0, "enable"), "utf8")).toBe("1");
  }, 30_000);
  it("a chip whose export the agent may not write is refused when the board loads, naming the group, not at the first pwm.open", async () => {
    dir = mkdtempSync(join(tmpdir(), "fwx-pwm-perm-"));
    chmodSync(dir, 0o755);
    const chip = join(dir, "sys/class/pwm/pwmchip0");
    mkdirSync(chip, { recursive: true });
    writeFileSync(join(chip, "npwm"), "1\n");
    writeFileSync(join(chip, "export"), "", { mode: 0o444 }); // no udev rule gave it a group
    const entry = join(dir, "load.ts");
    writeFileSync(entry, `import { PwmClassChannel } from ${JSON.stringify(join(root, "src/linux/pwm-class.ts"))};
try { new PwmClassChannel({ channel: 0, name: "fan", minHz: 1, maxHz: 100000, chip: "pwmchip0", index: 0, where: "pi.json: pwm[0]", sysfsRoot: process.argv[2]! }); console.log("loaded"); } catch (e) { console.log((e as Error).name + ": " + (e as Error).message); }
`);
    const bundle = join(dir, "load.mjs");
    await build({ entryPoints: [entry], outfile: bundle, bundle: true, platform: "node", format: "esm", logLevel: "error" });
    chmodSync(bundle, 0o644);
    const asAgent = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath] : [process.execPath];
    const child = spawn(asAgent[0]!, [...asAgent.slice(1), bundle, join(dir, "sys")], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    await new Promise((done) => child.on("close", done));
    expect(out.trim()).toMatch(new RegExp(`^DeviceFileError: pi\\.json: pwm\\[0\\]: no permission to use ${join(chip, "export").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}; add the user that runs fwx to group \\S+`));
  }, 30_000);
});
