// docs/agent.md's "Running fwx on a gateway" says which connectors the agent
// serves from Linux: every kind linuxHardware() has a backend for, and no
// claim that a served kind is refused. Nor do docs/board-profiles.md and the
// bundled Raspberry Pi profiles say GPIO, I2C or SPI backends are still to come.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { linuxHardware } from "../../src/linux/index.js";

const doc = readFileSync(join(resolve(import.meta.dirname, "../.."), "docs/agent.md"), "utf8");
const WORD = { uart: "UART", gpio: "GPIO", i2c: "I2C", spi: "SPI", adc: "ADC", pwm: "PWM" } as const;

describe("docs/agent.md on the Linux backends", () => {
  const start = doc.indexOf("## Running fwx on a gateway");
  const intro = doc.slice(start, doc.indexOf("###", start));
  it("names every kind linuxHardware() serves as served, none as refused until it exists", () => {
    expect(start).toBeGreaterThan(0);
    const served = Object.keys(linuxHardware()) as (keyof typeof WORD)[];
    expect(served.sort()).toEqual(Object.keys(WORD).sort());
    for (const kind of served) expect(intro, kind).toContain(WORD[kind]);
    expect(intro).not.toMatch(/refused when the\s+board loads until/);
  });
  it("docs/board-profiles.md and the bundled Raspberry Pi profiles do not say the GPIO, I2C and SPI backends are missing", () => {
    const texts = {
      "docs/board-profiles.md": readFileSync(join(resolve(import.meta.dirname, "../.."), "docs/board-profiles.md"), "utf8"),
      ...Object.fromEntries(["boards/raspberry-pi-4.json", "boards/raspberry-pi-4-header.json"].map((f) => [f, JSON.parse(readFileSync(join(resolve(import.meta.dirname, "../.."), f), "utf8")).description as string])),
    };
    for (const [file, text] of Object.entries(texts)) {
      expect(text, file).not.toMatch(/serves only UART|once fwx has GPIO|until their backends exist/);
    }
  });
});
