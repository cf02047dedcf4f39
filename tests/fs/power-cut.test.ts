// The simulated disk itself: what a power cut keeps and loses. The install's
// power-cut tests (tests/ota/power-cut.test.ts) are only as good as this model.

import { describe, expect, it } from "vitest";
import { PowerCut, SimulatedDisk } from "../../src/fs/power-cut.js";
import { ensureDirDurable, writeFileDurable } from "../../src/fs/durable.js";

const text = (d: SimulatedDisk, p: string) => Buffer.from(d.readFile(p)).toString();

function writeRaw(d: SimulatedDisk, path: string, s: string, sync: boolean) {
  const fd = d.open(path, "w");
  d.write(fd, Buffer.from(s), 0, s.length, null);
  if (sync) d.fsync(fd);
  d.close(fd);
}

describe("simulated disk", () => {
  it("a file created without a directory fsync is gone after a strict cut, kept after a kept one", () => {
    const d = new SimulatedDisk();
    d.provision("/s");
    writeRaw(d, "/s/f", "hello", true);
    expect(d.reboot("strict").exists("/s/f")).toBe(false);
    expect(text(d.reboot("kept"), "/s/f")).toBe("hello");
  });

  it("an fsynced directory keeps the entry but unsynced contents revert", () => {
    const d = new SimulatedDisk();
    d.provision("/s");
    writeRaw(d, "/s/f", "hello", false);
    const dir = d.openDir("/s");
    d.fsync(dir);
    d.close(dir);
    expect(text(d.reboot("strict"), "/s/f")).toBe("");
  });

  it("a rename is atomic in every reboot: the old name or the new, never both or neither", () => {
    const d = new SimulatedDisk();
    d.provision("/s");
    writeRaw(d, "/s/t", "new", true);
    const dir = d.openDir("/s");
    d.fsync(dir);
    d.rename("/s/t", "/s/f");
    for (let seed = 1; seed < 20; seed++) {
      const r = d.reboot("random", seed);
      expect(r.exists("/s/t") !== r.exists("/s/f")).toBe(true);
    }
  });

  it("random reboots tear unsynced writes (some keep a prefix)", () => {
    const d = new SimulatedDisk();
    d.provision("/s");
    writeRaw(d, "/s/f", "", true);
    const dir = d.openDir("/s");
    d.fsync(dir);
    const fd = d.open("/s/f", "r+");
    d.write(fd, Buffer.from("abcdefghijklmnop"), 0, 16, 0);
    const seen = new Set<string>();
    for (let seed = 1; seed < 60; seed++) seen.add(text(d.reboot("random", seed), "/s/f"));
    expect(seen.has("")).toBe(true);
    expect(seen.has("abcdefghijklmnop")).toBe(true);
    expect([...seen].some((s) => s.length > 0 && s.length < 16)).toBe(true);
  });

  it("writeFileDurable survives a strict cut right after it, directories included; after the cut nothing changes", () => {
    const d = new SimulatedDisk();
    d.provision("/s");
    writeFileDurable("/s/a/b/f", "data", { fs: d, createDirs: true });
    expect(text(d.reboot("strict"), "/s/a/b/f")).toBe("data");
    d.cutAtOperation = d.operations + 1;
    expect(() => writeFileDurable("/s/a/b/f", "next", { fs: d })).toThrow(PowerCut);
    expect(() => d.readFile("/s/a/b/f")).toThrow(PowerCut);
    expect(text(d.reboot("kept"), "/s/a/b/f")).toBe("data");
  });

  it("ensureDirDurable makes every new level durable", () => {
    const d = new SimulatedDisk();
    d.provision("/s");
    ensureDirDurable("/s/x/y/z", d);
    expect(d.reboot("strict").exists("/s/x/y/z")).toBe(true);
  });
});
