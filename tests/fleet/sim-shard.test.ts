// fwx fleet-sim --shard: k processes together run exactly the fleet one process would.
import { describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { shardRange, startFleetSim } from "../../src/fleet/sim.js";

describe("fleet-sim shards", () => {
  it("splits a fleet into contiguous slices that cover every device once", () => {
    for (const [count, of] of [[1000, 2], [1000, 3], [7, 7], [10, 4]] as const) {
      const seen: number[] = [];
      for (let i = 0; i < of; i++) {
        const [from, to] = shardRange(count, i, of);
        expect(to - from).toBeGreaterThanOrEqual(Math.floor(count / of));
        expect(to - from).toBeLessThanOrEqual(Math.ceil(count / of));
        for (let d = from; d < to; d++) seen.push(d);
      }
      expect(seen).toEqual([...Array(count).keys()]);
    }
  });

  it("refuses a shard outside the fleet before starting any device", async () => {
    const rootKey = generateKeyPairSync("ed25519").privateKey;
    const base = { count: 4, brokerUrl: "mqtt://127.0.0.1:1", rootKey, dir: "/nonexistent", customers: ["c"], groups: ["g"] };
    await expect(startFleetSim({ ...base, shard: { index: 4, of: 4 } })).rejects.toThrow(/shard 4\/4: expected 0 ≤ index < of ≤ count \(4\)/);
    await expect(startFleetSim({ ...base, shard: { index: 0, of: 5 } })).rejects.toThrow(/shard 0\/5/);
  });
});
