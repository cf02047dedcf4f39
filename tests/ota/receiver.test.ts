// The device's transfer receiver on its own: ack coalescing, chunks that
// overtake their begin, and the final ack handing over to the install.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AckFrame, PackageRef } from "../../src/ota/protocol.js";
import { TransferReceiver, type PartialMeta } from "../../src/ota/receiver.js";
import { tempDir } from "./fixtures.js";

const CHUNK = 100;
const SIZE = 20 * CHUNK;
const data = Uint8Array.from({ length: SIZE }, (_, i) => (i * 7) & 0xff);
const pkg: PackageRef = { module: "m", version: "1", sequence: 1, size: SIZE, sha256: "a".repeat(64) };

function setup(window: number) {
  const dir = tempDir("receiver");
  const acks: { frame: AckFrame; final: boolean }[] = [];
  let finalDelivered: (() => void) | null = null;
  const completed: { meta: PartialMeta; bytes: Uint8Array }[] = [];
  // A pause timer far away: only the chunk-count, gap and end rules send acks here.
  const r = new TransferReceiver(dir.path, { ackEvery: 8, ackDelayMs: 60_000, staleMs: 15_000 }, null,
    (frame, delivered) => {
      acks.push({ frame, final: delivered !== null });
      finalDelivered = delivered;
    },
    (meta, bytes) => completed.push({ meta, bytes }));
  const begin = (session: number) => r.begin({ session, from: "tool", window, transfer: { mode: "full", size: SIZE, sha256: pkg.sha256 }, package: pkg }, Date.now());
  const chunk = (session: number, i: number) => r.onChunk({ session, offset: i * CHUNK, data: data.subarray(i * CHUNK, (i + 1) * CHUNK) }, Date.now());
  return { dir, r, acks, completed, begin, chunk, deliverFinal: () => finalDelivered!() };
}

let cleanup: (() => void) | null = null;
afterEach(() => cleanup?.());

describe("transfer receiver", () => {
  it("leaves no timer behind when closed while the final ack awaits the broker", () => {
    const t = setup(16);
    cleanup = () => t.dir.cleanup();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    t.begin(12);
    for (let i = 0; i < 20; i++) t.chunk(12, i);
    expect(t.acks.at(-1)).toMatchObject({ frame: { offset: SIZE }, final: true });
    expect(timers()).toBeGreaterThan(before);
    t.r.close();
    expect(timers()).toBe(before);
  });

  it("refuses a transfer whose size is not a byte count, so no chunk is stored", () => {
    const t = setup(16);
    cleanup = () => { t.r.close(); t.dir.cleanup(); };
    for (const size of ["lots", {}, -1, 1.5]) {
      const transfer = { mode: "full", size, sha256: pkg.sha256 } as unknown as PartialMeta["transfer"];
      expect(() => t.r.begin({ session: 5, from: "tool", window: 16, transfer, package: pkg }, Date.now())).toThrow(/transfer size .* is not a byte count/);
    }
    t.chunk(5, 0);
    expect(t.r.current).toBeNull();
    expect(t.r.ackedFor(5)).toBeNull();
  });

  it("acknowledges every min(8, window/2) chunks, durably, and the last byte with a delivery-confirmed ack", async () => {
    const t = setup(16);
    cleanup = () => { t.r.close(); t.dir.cleanup(); };
    expect(t.begin(41)).toBe(0);
    for (let i = 0; i < 20; i++) t.chunk(41, i);
    expect(t.acks.map((a) => [a.frame.offset, a.final])).toEqual([[8 * CHUNK, false], [16 * CHUNK, false], [SIZE, true]]);
    // Acknowledged means recorded: transfer.json holds the offset of the last ack.
    expect(JSON.parse(readFileSync(join(t.dir.path, "transfer.json"), "utf8")).acked).toBe(SIZE);
    // The install starts only once the broker has the final ack.
    await new Promise((res) => setTimeout(res, 20));
    expect(t.completed).toEqual([]);
    t.deliverFinal();
    expect(t.completed).toHaveLength(1);
    expect(Buffer.from(t.completed[0]!.bytes).equals(Buffer.from(data))).toBe(true);
  });

  it("acknowledges at least every half window when the tool's window is small", () => {
    const t = setup(4);
    cleanup = () => { t.r.close(); t.dir.cleanup(); };
    t.begin(7);
    for (let i = 0; i < 6; i++) t.chunk(7, i);
    expect(t.acks.map((a) => a.frame.offset)).toEqual([2 * CHUNK, 4 * CHUNK, 6 * CHUNK]);
  });

  it("takes in chunks that overtook their begin, and reports a gap at once", async () => {
    const t = setup(16);
    cleanup = () => { t.r.close(); t.dir.cleanup(); };
    t.chunk(9, 0);
    t.chunk(9, 1);
    t.chunk(5, 0); // another session's: never taken in
    t.begin(9);
    await new Promise((res) => setImmediate(res));
    t.chunk(9, 3);
    expect(t.acks.map((a) => a.frame)).toEqual([{ session: 9, offset: 2 * CHUNK, gap: true }]);
    t.chunk(9, 2);
    expect(t.r.ackedFor(9)).toBe(4 * CHUNK);
    expect(t.r.ackedFor(5)).toBeNull();
  });
});
