#!/usr/bin/env node
// Makes sure `socat` is on PATH for the Linux UART backend's test, which
// talks to an independent Modbus slave over a pseudo-terminal pair socat
// makes. Installs Debian's package when it is missing (see scripts/apt.mjs).
// Exit 0 when socat is available afterwards, 1 otherwise.
import { spawnSync } from "node:child_process";
import { aptAvailable, aptInstall } from "./apt.mjs";

const log = (msg) => console.error(`ensure-socat: ${msg}`);
const found = () => spawnSync("sh", ["-c", "command -v socat"], { stdio: "ignore" }).status === 0;

if (found()) process.exit(0);
if (!aptAvailable()) {
  log("socat is not installed and apt-get is not available; install socat with your package manager");
  process.exit(1);
}
aptInstall(["socat"], log);
if (!found()) {
  log("socat is still missing after apt-get install");
  process.exit(1);
}
