#!/usr/bin/env node
// Makes sure the `openssl` command is available: the TLS tests make their
// test CA and certificates with it (tests/ota/pki.ts). Installs Debian's
// package when it is missing (see scripts/apt.mjs).
// Exit 0 when openssl is available afterwards, 1 otherwise.
import { spawnSync } from "node:child_process";
import { aptAvailable, aptInstall } from "./apt.mjs";

const log = (msg) => console.error(`ensure-openssl: ${msg}`);
const found = () => spawnSync("sh", ["-c", "command -v openssl"], { stdio: "ignore" }).status === 0;

if (found()) process.exit(0);
if (!aptAvailable()) {
  log("openssl is not installed and apt-get is not available; install OpenSSL with your package manager");
  process.exit(1);
}
aptInstall(["openssl"], log);
if (!found()) {
  log("openssl is still missing after apt-get install");
  process.exit(1);
}
