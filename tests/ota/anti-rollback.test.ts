// The anti-rollback store (src/ota/anti-rollback.ts) on the simulated disk of
// src/fs/power-cut.ts: its values only rise, and a power cut at any file
// operation of a raise leaves either the old values or the new ones — never a
// mix, never less than a raise that returned.

import { describe, expect, it } from "vitest";
import { FileAntiRollbackStore } from "../../src/ota/anti-rollback.js";
import { PowerCut, SimulatedDisk, type CutMode } from "../../src/fs/power-cut.js";

const PATH = "/var/lib/fwx.anti-rollback.json";
const MODES: [CutMode, number][] = [["strict", 1], ["kept", 1], ["random", 1], ["random", 2], ["random", 3]];
const values = (disk: SimulatedDisk) => {
  const s = new FileAntiRollbackStore(PATH, disk);
  return [s.get("installed:m"), s.get("commands")];
};

describe("anti-rollback store", () => {
  it("only rises: lower values and unknown names leave it as it is", () => {
    const disk = new SimulatedDisk();
    disk.provision("/var/lib");
    const s = new FileAntiRollbackStore(PATH, disk);
    s.raise({ "installed:m": 5, commands: 9 });
    s.raise({ "installed:m": 3, commands: 10 });
    expect([s.get("installed:m"), s.get("commands"), s.get("runnable:m")]).toEqual([5, 10, 0]);
    expect(() => s.raise({ commands: -1 })).toThrow(/cannot raise commands to -1/);
    expect(values(disk.reboot("strict"))).toEqual([5, 10]);
  });

  it("a power cut at every file operation of a raise leaves the old values or the new ones; a raise that returned survives every reboot", () => {
    const base = new SimulatedDisk();
    base.provision("/var/lib");
    new FileAntiRollbackStore(PATH, base).raise({ "installed:m": 1, commands: 1 });
    const synced = base.reboot("strict");
    expect(values(synced)).toEqual([1, 1]);
    const clean = synced.reboot("kept");
    const store = new FileAntiRollbackStore(PATH, clean);
    const start = clean.operations;
    store.raise({ "installed:m": 2, commands: 3 });
    const operations = clean.operations - start;
    expect(operations).toBeGreaterThanOrEqual(4); // open, write, fsync, rename, directory fsync
    for (const [mode, seed] of MODES) expect(values(clean.reboot(mode, seed)), `completed raise, reboot ${mode} #${seed}`).toEqual([2, 3]);
    for (let n = 1; n <= operations; n++) {
      const disk = synced.reboot("kept");
      const s = new FileAntiRollbackStore(PATH, disk);
      disk.cutAtOperation = disk.operations + n;
      expect(() => s.raise({ "installed:m": 2, commands: 3 }), `cut at operation ${n}`).toThrow(PowerCut);
      for (const [mode, seed] of MODES) expect([[1, 1], [2, 3]], `cut before ${disk.cutAt}, reboot ${mode} #${seed}`).toContainEqual(values(disk.reboot(mode, seed)));
    }
  });
});
