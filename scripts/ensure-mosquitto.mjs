#!/usr/bin/env node
// Makes sure a `mosquitto` binary is on PATH for the OTA tests, which run the
// whole protocol against a real broker as well as the embedded one. Installs
// Debian's package when it is missing (see scripts/apt.mjs).
// Exit 0 when mosquitto is available afterwards, 1 otherwise.
import { spawnSync } from "node:child_process";
import { aptAvailable, aptInstall } from "./apt.mjs";

const log = (msg) => console.error(`ensure-mosquitto: ${msg}`);

function found() {
  const r = spawnSync("sh", ["-c", "command -v mosquitto || test -x /usr/sbin/mosquitto"], { stdio: "ignore" });
  return r.status === 0;
}

if (found()) process.exit(0);
if (!aptAvailable()) {
  log("mosquitto is not installed and apt-get is not available; install Mosquitto with your package manager");
  process.exit(1);
}
aptInstall(["mosquitto"], log);
if (!found()) {
  log("mosquitto is still missing after apt-get install");
  process.exit(1);
}
