#!/usr/bin/env node
// Makes sure a `mosquitto` binary is on PATH for the OTA tests, which run the
// whole protocol against a real broker as well as the embedded one. Installs
// Debian's package when it is missing; `apt-get update` runs only when the
// first install attempt fails (a fresh container has no package lists yet).
// Exit 0 when mosquitto is available afterwards, 1 otherwise.
import { spawnSync } from "node:child_process";

function found() {
  const r = spawnSync("sh", ["-c", "command -v mosquitto || test -x /usr/sbin/mosquitto"], { stdio: "ignore" });
  return r.status === 0;
}

function run(cmd, args) {
  console.error(`ensure-mosquitto: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return r.status === 0;
}

if (found()) process.exit(0);
if (process.platform !== "linux" || spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status !== 0) {
  console.error("ensure-mosquitto: mosquitto is not installed and apt-get is not available; install Mosquitto with your package manager");
  process.exit(1);
}
const sudo = typeof process.getuid === "function" && process.getuid() !== 0 ? ["sudo"] : [];
const apt = (...args) => (sudo.length ? run("sudo", ["apt-get", ...args]) : run("apt-get", args));
if (!apt("install", "-y", "--no-install-recommends", "mosquitto")) {
  apt("update");
  apt("install", "-y", "--no-install-recommends", "mosquitto");
}
if (!found()) {
  console.error("ensure-mosquitto: mosquitto is still missing after apt-get install");
  process.exit(1);
}
