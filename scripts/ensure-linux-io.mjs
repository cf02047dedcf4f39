#!/usr/bin/env node
// Builds the Linux peripheral addon (native/linux-io: GPIO, I2C and SPI
// ioctls) with node-gyp from npm's own copy, against the Node headers this
// machine has (npm's nodedir) and gcc from Debian (scripts/ensure-gcc.mjs):
// nothing is downloaded. Skipped when the addon is newer than its source.
//   node scripts/ensure-linux-io.mjs           build if needed; exit 1 on failure
//   node scripts/ensure-linux-io.mjs --install as `npm ci` runs it (prepare): on a
//                                              machine other than Linux, or when
//                                              the build fails, say so and go on:
//                                              only a gateway's hardware needs it
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "native", "linux-io");
const addon = join(dir, "build", "Release", "linux_io.node");
const install = process.argv.includes("--install");

function done(ok, message) {
  if (message) (ok ? console.log : console.error)(`linux-io: ${message}`);
  process.exit(ok || install ? 0 : 1);
}

if (process.platform !== "linux") done(install, "not Linux: the Linux peripheral backends are not built (fwx agent serves simulated connectors only)");
const newest = Math.max(...["linux_io.c", "binding.gyp"].map((f) => statSync(join(dir, f)).mtimeMs));
if (existsSync(addon) && statSync(addon).mtimeMs >= newest) done(true);

const gcc = spawnSync(process.execPath, [join(root, "scripts", "ensure-gcc.mjs")], { stdio: "inherit" });
if (gcc.status !== 0) done(false, "gcc is needed to build the GPIO/I2C/SPI backends and could not be installed");
// npm's own node-gyp: beside npm-cli.js in the npm that runs this, or in the global npm.
const candidates = [
  process.env.npm_execpath && join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
].filter(Boolean);
const gyp = candidates.find((c) => existsSync(c));
if (!gyp) done(false, `node-gyp not found (looked at ${candidates.join(", ")})`);
const nodedir = spawnSync("npm", ["config", "get", "nodedir"], { encoding: "utf8" }).stdout?.trim();
const args = [gyp, "rebuild", ...(nodedir && nodedir !== "undefined" ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 300_000 });
if (r.status !== 0 || !existsSync(addon)) done(false, `node-gyp ${args.slice(1).join(" ")} failed in ${dir}:\n${r.stdout}${r.stderr}`);
done(true, `built ${addon}`);
