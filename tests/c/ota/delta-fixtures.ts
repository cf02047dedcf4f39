// Writes delta fixtures made by the TypeScript encoder (src/ota/delta.ts),
// for the C decoder's tests: an independent implementation on each side.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeDelta, applyDelta } from "../../../src/ota/delta.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: delta-fixtures.ts <dir>");
mkdirSync(dir, { recursive: true });
const base = new Uint8Array(20000);
let x = 7;
for (let i = 0; i < base.length; i++) base[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
const target = new Uint8Array(21000);
target.set(base.subarray(0, 9000), 0);
target.set([1, 2, 3, 4, 5, 6, 7, 8, 9], 9000);
target.set(base.subarray(9100, 20000), 9009);
target.set(base.subarray(100, 1191), 9009 + 10900);
const delta = encodeDelta(base, target);
if (!applyDelta(base, delta).every((b, i) => b === target[i])) throw new Error("encoder self-check failed");
writeFileSync(join(dir, "base.bin"), base);
writeFileSync(join(dir, "target.bin"), target);
writeFileSync(join(dir, "delta.bin"), delta);
