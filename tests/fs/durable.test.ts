import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeFileDurable, writeFileDurable, type DurableStep } from "../../src/fs/durable.js";

const dir = mkdtempSync(join(tmpdir(), "fwx-durable-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("writeFileDurable", () => {
  it("replaces the file and leaves no temporary behind", () => {
    const f = join(dir, "state.json");
    writeFileDurable(f, "old");
    writeFileDurable(f, new Uint8Array([110, 101, 119]));
    expect(readFileSync(f, "utf8")).toBe("new");
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("keeps the old contents until the rename, then has the new ones", () => {
    const f = join(dir, "slot.bin");
    writeFileDurable(f, "A");
    const seen: [DurableStep, string][] = [];
    writeFileDurable(f, "B", { onStep: (step) => seen.push([step, readFileSync(f, "utf8")]) });
    expect(seen).toEqual([["temp-written", "A"], ["renamed", "B"]]);
  });

  it("with noClobber refuses to replace an existing file and leaves it intact", () => {
    const f = join(dir, "root.key");
    writeFileDurable(f, "first", { noClobber: true, mode: 0o600 });
    expect(() => writeFileDurable(f, "second", { noClobber: true })).toThrow(/EEXIST/);
    expect(readFileSync(f, "utf8")).toBe("first");
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.startsWith(".root.key"))).toEqual([]);
  });

  it("creates parent directories on request, and reuses one temporary name when asked", () => {
    const f = join(dir, "a", "b", "device.json");
    expect(() => writeFileDurable(f, "x")).toThrow(/ENOENT/);
    writeFileDurable(f, "x", { createDirs: true, stableTempName: true, onStep: (s) => { if (s === "temp-written") expect(readdirSync(join(dir, "a", "b"))).toContain(".device.json.tmp"); } });
    expect(readFileSync(f, "utf8")).toBe("x");
  });

  it("removes files durably; a missing file is not an error", () => {
    const f = join(dir, "gone.txt");
    writeFileDurable(f, "x");
    removeFileDurable(f);
    removeFileDurable(f);
    expect(readdirSync(dir)).not.toContain("gone.txt");
  });
});
