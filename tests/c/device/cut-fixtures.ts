// Packages for the whole-device power-cut test (tests/c/device/test_device_cuts.c):
// the root key (hex) and signed mcu packages whose payloads name scripted guests
// of the test-double build. Run: node scripts/run-ts.mjs tests/c/device/cut-fixtures.ts <out-dir>
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTrust } from "../../ota/fixtures.js";
import { mcuPackage } from "../../device/device-fixtures.js";
import { encodeDelta } from "../../../src/ota/delta.js";

const out = process.argv[2];
if (!out) throw new Error("usage: cut-fixtures.ts <out-dir>");
mkdirSync(out, { recursive: true });
const trust = makeTrust();
writeFileSync(join(out, "root.hex"), Buffer.from(trust.rootPub).toString("hex"));
const config = [{ name: "threshold", type: "number" as const, default: 8, min: -40, max: 30 }];
const v1 = mcuPackage(trust, { version: "1.0.0", sequence: 1, config });
writeFileSync(join(out, "v1.fwx"), v1);
const v2 = mcuPackage(trust, { version: "2.0.0", sequence: 2, config, padding: 3000 });
writeFileSync(join(out, "v2.fwx"), v2);
// 2.0.0 as a delta against 1.0.0: the device applies it streaming from its confirmed slot into the inactive one.
writeFileSync(join(out, "v1-v2.delta"), encodeDelta(v1, v2));
const v3 = mcuPackage(trust, { guest: "fault-timer", version: "3.0.0", sequence: 3, config });
writeFileSync(join(out, "v3.fwx"), v3);
// 3.0.0 as a delta against a stand-in of 2.0.0's size (3.0.0 padded with zeros): it applies to the real 2.0.0
// (the delta names only the base's size) and rebuilds the wrong bytes.
const standIn = new Uint8Array(v2.length);
standIn.set(v3);
writeFileSync(join(out, "v2-v3-wrong.delta"), encodeDelta(standIn, v3));
