import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mosquittoBinary, mosquittoBroker } from "./brokers.js";
import { defineOtaSuite } from "./scenarios.js";

// A real Mosquitto on a free loopback port: the transfer paths (QoS 0 chunks,
// retained status, last will, reconnects) against a broker that is not ours.
defineOtaSuite("mosquitto", async () => {
  const bin = mosquittoBinary();
  if (!bin) throw new Error("mosquitto is not installed and scripts/ensure-mosquitto.mjs could not install it");
  const dir = mkdtempSync(join(tmpdir(), "fwx-mosquitto-"));
  const broker = await mosquittoBroker(bin, dir);
  return { ...broker, close: async () => { await broker.close(); rmSync(dir, { recursive: true, force: true }); } };
}, ["flash", "broker-drop", "concurrent", "delta", "refused"]);
