// scripts/build-device.mjs reuses a device build while everything it reads is
// the same: the options, gcc, and every C source and header it compiles. A key
// that missed an input would run a stale device, so each kind of input must
// change it.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deviceInputsKey } from "../../scripts/build-device.mjs";
import { buildOnce } from "../../scripts/build-once.mjs";
import { tempDir } from "../ota/fixtures.js";

describe("the device build's inputs key", () => {
  it("is the same for the same inputs, and changes with the options, the defines and the wasm3 tree's sources", () => {
    const base = { fake: true, defines: ["-DFWX_SUP_HEALTH_TIMEOUT_SECONDS=20u"] };
    const key = deviceInputsKey(base);
    expect(deviceInputsKey(base)).toBe(key);
    expect(deviceInputsKey({ ...base, defines: ["-DFWX_SUP_HEALTH_TIMEOUT_SECONDS=21u"] })).not.toBe(key);
    expect(deviceInputsKey({ ...base, extra: ["-fsanitize=address"] })).not.toBe(key);
    expect(deviceInputsKey({ ...base, fake: false })).not.toBe(key);

    const dir = tempDir("build-reuse");
    try {
      const source = join(dir.path, "wasm3", "source");
      mkdirSync(source, { recursive: true });
      writeFileSync(join(source, "wasm3.h"), "#define M3_VERSION 1\n");
      const tree = { wasm3: join(dir.path, "wasm3") };
      const before = deviceInputsKey(tree);
      expect(deviceInputsKey(tree)).toBe(before);
      writeFileSync(join(source, "wasm3.h"), "#define M3_VERSION 2\n");
      const edited = deviceInputsKey(tree);
      expect(edited).not.toBe(before);
      writeFileSync(join(source, "m3_new.c"), "int m3_new;\n");
      expect(deviceInputsKey(tree)).not.toBe(edited);
    } finally {
      dir.cleanup();
    }
  });
});

describe("buildOnce (the device and the conformance harness)", () => {
  it("builds once per inputs key, and a failed build leaves the previous output, its key and nothing else", () => {
    const dir = tempDir("build-once");
    try {
      const out = join(dir.path, "sub", "tool");
      let builds = 0;
      const build = (text: string) => (temp: string) => { builds++; writeFileSync(temp, text); };
      expect(buildOnce(out, "k1", build("one"))).toBe(out);
      expect(buildOnce(out, "k1", build("again"))).toBe(out);
      expect(builds).toBe(1);
      expect(readFileSync(out, "utf8")).toBe("one");
      buildOnce(out, "k2", build("two"));
      expect(builds).toBe(2);
      expect(readFileSync(out, "utf8")).toBe("two");
      expect(() => buildOnce(out, "k3", (temp) => { writeFileSync(temp, "half"); throw new Error("gcc failed"); })).toThrow("gcc failed");
      expect(readFileSync(out, "utf8")).toBe("two");
      expect(readFileSync(`${out}.inputs`, "utf8")).toBe("k2");
      expect(readdirSync(join(dir.path, "sub")).sort()).toEqual(["tool", "tool.inputs"]);
      expect(existsSync(`${out}.lock`)).toBe(false);
    } finally {
      dir.cleanup();
    }
  });
});
