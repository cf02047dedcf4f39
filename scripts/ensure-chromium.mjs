#!/usr/bin/env node
// Makes sure Debian's Chromium is installed for the browser tests (the fleet
// console), which drive /usr/bin/chromium headless with playwright-core.
// Installs the `chromium` package when missing (see scripts/apt.mjs).
// Exit 0 when /usr/bin/chromium is available afterwards, 1 otherwise.
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { aptAvailable, aptInstall } from "./apt.mjs";

export const CHROMIUM = "/usr/bin/chromium";
const log = (msg) => console.error(`ensure-chromium: ${msg}`);

/** The Chromium executable, installed if missing; null (with a message) when it cannot be. */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (!aptAvailable()) {
    log("chromium is not installed and apt-get is not available; install Chromium with your package manager");
    return null;
  }
  aptInstall(["chromium"], log);
  if (existsSync(CHROMIUM)) return CHROMIUM;
  log(`${CHROMIUM} is still missing after apt-get install chromium`);
  return null;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exit(ensureChromium() ? 0 : 1);
