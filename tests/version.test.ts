import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FWX_VERSION } from "../src/version.js";

describe("version", () => {
  it("src/version.ts matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(FWX_VERSION).toBe(pkg.version);
  });
});
