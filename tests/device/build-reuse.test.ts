// scripts/build-device.mjs reuses a device build while everything it reads is
// the same: the options, gcc, and every C source and header it compiles. A key
// that missed an input would run a stale device, so each kind of input must
// change it.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deviceInputsKey } from "../../scripts/build-device.mjs";
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
