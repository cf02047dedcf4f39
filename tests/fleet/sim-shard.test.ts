// fwx fleet-sim --shard: k processes together run exactly the fleet one process would.
import { describe, expect, it } from "vitest";
import { generateKeyPair } from "../../src/pkg/keys.js";
import { shardIndexes, startFleetSim } from "../../src/fleet/sim.js";

describe("fleet-sim shards", () => {
  it("splits a fleet into interleaved shards that cover every device once", () => {
    for (const [count, of] of [[1000, 2], [1000, 3], [7, 7], [10, 4]] as const) {
      const seen: number[] = [];
      for (let i = 0; i < of; i++) {
        const mine = shardIndexes(count, i, of);
        expect(mine.length).toBeGreaterThanOrEqual(Math.floor(count / of));
        expect(mine.length).toBeLessThanOrEqual(Math.ceil(count / of));
        seen.push(...mine);
      }
      expect(seen.sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
    }
    // A first wave (the lowest ids) lands on every process.
    expect(shardIndexes(1000, 1, 2).slice(0, 3)).toEqual([1, 3, 5]);
  });

  it("refuses a shard outside the fleet before starting any device", async () => {
    const rootKey = generateKeyPair().privateKey;
    const base = { count: 4, brokerUrl: "mqtt://127.0.0.1:1", rootKey, dir: "/nonexistent", customers: ["c"], groups: ["g"] };
    await expect(startFleetSim({ ...base, shard: { index: 4, of: 4 } })).rejects.toThrow(/shard 4\/4: expected 0 ≤ index < of ≤ count \(4\)/);
    await expect(startFleetSim({ ...base, shard: { index: 0, of: 5 } })).rejects.toThrow(/shard 0\/5/);
  });
});
