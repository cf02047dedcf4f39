// Sensor noise is per reader: a module's readings are a function of the
// seed, the trace and its own reads, never of another module reading the
// same sensor, ADC channel or bus device.

import { describe, expect, it } from "vitest";
import { loadBoardFile, defaultBoardPath } from "../../src/sim/board.js";
import { runSimulation } from "../../src/agent/simulate.js";
import type { ModuleSpec } from "../../src/agent/runtime.js";
import { sensorReporter } from "../fixtures/hostile/modules.js";
import { eventToJson } from "../../src/agent/event-log.js";
import { boardFrom, S } from "./helpers.js";

const caps = { timers: 2, sensors: ["cold_room"], telemetry: ["a", "b"] };
const mod = (id: string, bytes: Uint8Array): ModuleSpec => ({ id, bytes, source: `${id}.wasm`, requested: caps });

async function readingsOf(modules: ModuleSpec[], id: string): Promise<string[]> {
  const board = loadBoardFile(defaultBoardPath());
  const { events } = await runSimulation({ board, modules, durationUs: S(20), watchdogMs: 0 });
  return events.filter((e) => e.kind === "telemetry" && e.module === id).map(eventToJson);
}

describe("sensor noise per reader", () => {
  it("a second module polling the same sensor leaves the first one's values unchanged", async () => {
    const alone = await readingsOf([mod("a", sensorReporter("cold_room", "a", 1000))], "a");
    const together = await readingsOf([mod("a", sensorReporter("cold_room", "a", 1000)), mod("b", sensorReporter("cold_room", "b", 70))], "a");
    expect(alone).toHaveLength(20);
    expect(together).toEqual(alone);
    // Still noisy, still seeded: the readings differ between samples and repeat across runs.
    expect(new Set(alone.map((l) => JSON.parse(l).payloadHex)).size).toBeGreaterThan(10);
    expect(await readingsOf([mod("a", sensorReporter("cold_room", "a", 1000))], "a")).toEqual(alone);
  });

  it("two readers of one sensor get different noise streams, each repeatable", () => {
    const profile = { sensors: [{ name: "t", unit: "C", range: { min: -50, max: 50 }, noise: 1, source: 10 }] };
    const seq = (reads: [string, number][]) => {
      const s = boardFrom(profile).sensor("t")!;
      return reads.map(([who, t]) => [who, s.read(S(t), who)] as const);
    };
    const aOnly = seq([["a", 1], ["a", 2], ["a", 3]]).map(([, r]) => r);
    const mixed = seq([["b", 0.5], ["a", 1], ["b", 1.5], ["b", 1.7], ["a", 2], ["a", 3]]);
    expect(mixed.filter(([w]) => w === "a").map(([, r]) => r)).toEqual(aOnly);
    expect(mixed.find(([w]) => w === "b")![1]).not.toEqual(aOnly[0]);
  });

  it("the same holds for ADC channels", () => {
    const profile = { adc: [{ channel: 0, name: "x", bits: 12, vrefMv: 3300, noise: 20, source: 1000 }] };
    const seq = (reads: [string, number][]) => {
      const ch = boardFrom(profile).adc(0)!;
      return reads.map(([who, t]) => [who, ch.read(S(t), who)] as const);
    };
    const aOnly = seq([["a", 1], ["a", 2], ["a", 3]]).map(([, r]) => r);
    const mixed = seq([["b", 0.5], ["a", 1], ["b", 1.5], ["a", 2], ["b", 2.5], ["a", 3]]);
    expect(mixed.filter(([w]) => w === "a").map(([, r]) => r)).toEqual(aOnly);
    expect(new Set(aOnly.map((r) => JSON.stringify(r))).size).toBeGreaterThan(1);
  });
});

describe("bus devices: noise is a function of the conversion, not of read order", () => {
  it("TMP102: another reader's extra conversions do not shift a reader's values", () => {
    const board = () => boardFrom({
      sensors: [{ name: "room", unit: "°C", range: { min: -55, max: 128 }, source: 20 }],
      i2c: [{ bus: 1, name: "i2c1", devices: [{ type: "tmp102", address: 0x48, name: "tmp", source: { sensor: "room" }, noise: 0.5 }] }],
    });
    const read = (bus: ReturnType<ReturnType<typeof board>["i2c"]> & {}, t: number) => [...bus.transaction(0x48, Uint8Array.of(0), 2, S(t)).rx];
    const alone = board().i2c(1)!;
    const a = [1, 2, 3, 4].map((t) => read(alone, t));
    const shared = board().i2c(1)!;
    const b: number[][] = [];
    for (const t of [1, 2, 3, 4]) {
      read(shared, t - 0.5); // another module polls in between, forcing conversions of its own
      b.push(read(shared, t));
    }
    expect(b).toEqual(a);
    expect(new Set(a.map((x) => x.join())).size).toBeGreaterThan(1);
  });

  it("MCP3008: another reader's conversions do not shift a reader's values", () => {
    const board = () => boardFrom({
      spi: [{ bus: 0, name: "spi0", devices: [{ type: "mcp3008", cs: 0, name: "adc", vrefMv: 3300, noise: 10, channels: [{ channel: 0, source: 1650 }] }] }],
    });
    const cmd = Uint8Array.of(0x01, 0x80, 0x00);
    const alone = board().spi(0)!;
    const a = [1, 2, 3, 4].map((t) => [...alone.transfer(0, cmd, S(t)).rx]);
    const shared = board().spi(0)!;
    const b = [1, 2, 3, 4].map((t) => {
      shared.transfer(0, cmd, S(t - 0.5));
      shared.transfer(0, cmd, S(t - 0.25));
      return [...shared.transfer(0, cmd, S(t)).rx];
    });
    expect(b).toEqual(a);
    expect(new Set(a.map((x) => x.join())).size).toBeGreaterThan(1);
  });
});
