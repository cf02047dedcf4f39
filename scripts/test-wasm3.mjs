#!/usr/bin/env node
// Opt-in: `npm run test:wasm3 -- <wasm3 source dir>`. Builds fwx-device
// against that real wasm3 tree, then over a real Mosquitto with the real CLI:
// packs every example with `fwx pack --target mcu` (fuel-instrumented,
// signed), serves the demo board's peripherals over the HAL bridge
// (`fwx board serve`), flashes each example and reports its verdict and the
// time from starting `fwx flash` to the verdict; then a delta, an older
// sequence refused, rollback, a faulting trial's revert with its crash report
// named through the debug map, kill -9, and remove. Every child process
// runs under a time limit. Prints one line per step and "N passed, N failed".
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, cpSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { buildDevice } from "./build-device.mjs";
import { clangEnv, ensureClangWasm, ensureRustWasm } from "./ensure-wasm-compilers.mjs";

const root = resolve(import.meta.dirname, "..");
const tree = process.argv[2];
if (!tree || !existsSync(join(tree, "source", "wasm3.h"))) {
  console.error("usage: npm run test:wasm3 -- <wasm3 source dir>   (the root of a wasm3 checkout: source/wasm3.h)");
  process.exit(2);
}
const cli = join(root, "dist", "cli.js");
if (!existsSync(cli)) spawnSync(process.execPath, [join(root, "node_modules", ".bin", "rollup"), "-c", "--silent"], { cwd: root, stdio: "inherit" });

let passed = 0, failed = 0;
const check = (ok, what, detail = "") => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${!ok && detail ? `\n     ${detail.trim().split("\n").slice(-12).join("\n     ")}` : ""}`);
};

function run(args, timeoutMs = 120_000) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8", timeout: timeoutMs });
  return { status: r.status ?? 1, out: r.stdout ?? "", err: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

function runAsync(args, timeoutMs = 120_000) {
  return new Promise((res) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("close", (code) => { // the pipes read to the end: the JSON is the last line
      clearTimeout(t);
      let json = null;
      try { json = JSON.parse(out.trim().split("\n").pop()); } catch { /* not JSON */ }
      res({ status: code ?? 1, out, err, json });
    });
  });
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

function waitFor(proc, pattern, ms, what) {
  return new Promise((res, rej) => {
    let text = "";
    const t = setTimeout(() => rej(new Error(`${what}: no "${pattern}" within ${ms} ms:\n${text}`)), ms);
    const on = (d) => {
      text += d;
      if (pattern.test(text)) { clearTimeout(t); res(text); }
    };
    proc.stderr?.on("data", on);
    proc.stdout?.on("data", on);
    proc.on("exit", (c, s) => { clearTimeout(t); rej(new Error(`${what} ended (${s ?? c}):\n${text}`)); });
  });
}

const children = [];
const dir = mkdtempSync(join(tmpdir(), "fwx-wasm3-"));
const cleanup = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);

const name = basename(resolve(tree));
const t0 = performance.now();
const exe = buildDevice({ wasm3: tree, out: join(root, "tests", "c", "build", `wasm3-${name}`, "fwx-device") });
const version = /M3_VERSION\s+"([^"]+)"/.exec(readFileSync(join(tree, "source", "wasm3.h"), "utf8"))?.[1] ?? "?";
console.log(`fwx-device built against wasm3 ${version} (${tree}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Trust: a product root, an integrator certified for the examples' prefix with the demo board's capabilities.
const k = (n) => join(dir, n);
check(run(["keys", "gen", "--out", k("root")]).status === 0, "fwx keys gen (root)");
check(run(["keys", "gen", "--out", k("acme")]).status === 0, "fwx keys gen (integrator)");
writeFileSync(k("caps.json"), JSON.stringify(JSON.parse(readFileSync(join(root, "boards", "demo.json"), "utf8")).grantable));
const cert = run(["cert", "issue", "--root-key", k("root.key"), "--integrator-pub", k("acme.pub"), "--id", "example", "--module-prefix", "com.example.",
  "--caps", k("caps.json"), "--customers", "acme-foods", "-o", k("acme.cert")]);
check(cert.status === 0, "fwx cert issue", cert.err);

// Identities: the device's key and certificate (as provisioning issues them), an operator allowed every operation.
check(run(["keys", "gen", "--out", k("w3")]).status === 0, "fwx keys gen (device)");
check(run(["keys", "gen", "--out", k("ops")]).status === 0, "fwx keys gen (operator)");
const devCert = run(["cert", "device", "--root-key", k("root.key"), "--device-pub", k("w3.pub"), "--device-id", "w3", "--customer", "acme-foods", "--group", "cold-store-3", "-o", k("w3.devcert")]);
check(devCert.status === 0, "fwx cert device", devCert.err);
const opCert = run(["cert", "operator", "--root-key", k("root.key"), "--operator-pub", k("ops.pub"), "--id", "ops", "--operations", "*", "--customers", "acme-foods", "-o", k("ops.opcert")]);
check(opCert.status === 0, "fwx cert operator", opCert.err);
/** Every state-changing command is signed with these; every answer is checked against the root. */
const ops = ["--operator-key", k("ops.key"), "--operator-cert", k("ops.opcert"), "--root", k("root.pub")];

const examples = readdirSync(join(root, "examples")).filter((e) => existsSync(join(root, "examples", e, "fwx.json"))).sort();
const packages = {};
for (const e of examples) {
  const out = k(`${e}.fwx`);
  const r = run(["pack", join(root, "examples", e), "--key", k("acme.key"), "--cert", k("acme.cert"), "--target", "mcu", "-o", out], 300_000);
  check(r.status === 0, `fwx pack --target mcu examples/${e}`, r.err + r.out);
  if (r.status === 0) packages[e] = out;
}

const port = await freePort();
writeFileSync(k("mosquitto.conf"), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
spawnSync(process.execPath, [join(root, "scripts", "ensure-mosquitto.mjs")], { stdio: "inherit" });
const mosq = spawn(existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto", ["-c", k("mosquitto.conf")], { stdio: ["ignore", "pipe", "pipe"] });
children.push(mosq);
await new Promise((r) => setTimeout(r, 400));
const broker = `mqtt://127.0.0.1:${port}`;

const sock = k("board.sock");
const board = spawn(process.execPath, [cli, "board", "serve", "--socket", sock, "--board", join(root, "boards", "demo.json")], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
children.push(board);
for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
check(existsSync(sock), "fwx board serve listens");

function startDevice() {
  const p = spawn(exe, ["--device-id", "w3", "--state-dir", k("state"), "--root", k("root.pub"), "--device-key", k("w3.key"), "--device-cert", k("w3.devcert"), "--customer", "acme-foods", "--group", "cold-store-3",
    "--broker", broker, "--board", join(root, "boards", "demo.json"), "--board-socket", sock], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.push(p);
  let log = "";
  p.stderr.on("data", (d) => (log += d));
  const exited = new Promise((r) => p.on("exit", (code, signal) => r(signal ?? `exit ${code}`)));
  return { p, exited, log: () => log, online: waitFor(p, /\[device\] online at /, 30_000, "fwx-device") };
}
/** A device that died (a crash in wasm3 or the runtime) is reported and started again on its state. */
async function alive(what) {
  if (dev.p.exitCode === null && dev.p.signalCode === null) return;
  check(false, `fwx-device survived ${what}`, `ended by ${await dev.exited}\n${dev.log().split("\n").filter((l) => !l.includes("\"phase\":\"") ).slice(-5).join("\n")}`);
  dev = startDevice();
  await dev.online;
}
let dev = startDevice();
await dev.online;
check(true, "fwx-device online (subscribed, presence and status acknowledged)");

const flash = (pkg, extra = []) => runAsync(["flash", pkg, "--device", "w3", "--broker", broker, "--json", "--timeout", "30", "--cache", k("cache"), ...ops, ...extra], 150_000);
const timings = [];
for (const e of examples) {
  if (!packages[e]) continue;
  const start = performance.now();
  const r = await flash(packages[e]);
  const secs = (performance.now() - start) / 1000;
  const v = r.json?.verdict;
  timings.push({ example: e, verdict: v, seconds: secs, transferMs: r.json?.transferMs, bytes: r.json?.packageBytes, reason: r.json?.reason });
  await alive(`flashing ${e}`);
  check(v === "confirmed", `${e}: fwx flash → ${v ?? "no verdict"} in ${secs.toFixed(2)} s (${r.json?.packageBytes} bytes, transfer ${Number(r.json?.transferMs ?? 0).toFixed(0)} ms)${v === "confirmed" ? "" : `: ${r.json?.reason ?? r.err}`}`, r.err + dev.log());
}

// A second version of the cold-chain example: a delta against the confirmed package.
if (packages["cold-chain-alarm"]) {
  const v2 = k("cold-chain-v2.fwx");
  const p = run(["pack", join(root, "examples", "cold-chain-alarm"), "--key", k("acme.key"), "--cert", k("acme.cert"), "--target", "mcu", "--seq", String(Math.floor(Date.now() / 1000) + 1000), "--version", "1.0.1", "-o", v2], 300_000);
  // (fwx pack's default sequence is the pack time in Unix seconds: a later explicit one is above it.)
  check(p.status === 0, "fwx pack cold-chain-alarm 1.0.1 (a higher sequence)", p.err);
  const r = await flash(v2);
  await alive("the delta");
  check(r.json?.verdict === "confirmed" && r.json?.mode === "delta", `cold-chain-alarm 1.0.1: ${r.json?.mode} transfer of ${r.json?.transferBytes} bytes for a ${r.json?.packageBytes}-byte package → ${r.json?.verdict} in ${Number(r.json?.totalMs ?? 0) / 1000} s`, `${r.json?.reason ?? ""} ${r.json?.code ?? ""}\n${r.err}`);
  const rb = run(["rollback", "w3", "com.example.cold-chain-alarm", "--broker", broker, "--json", ...ops], 30_000);
  check(rb.status === 0 && rb.out.includes("rolled-back"), "fwx rollback cold-chain-alarm → rolled-back", rb.out + rb.err);
  const old = run(["pack", join(root, "examples", "cold-chain-alarm"), "--key", k("acme.key"), "--cert", k("acme.cert"), "--target", "mcu", "--seq", "1", "--version", "0.9.0", "-o", k("old.fwx")], 300_000);
  const ro = old.status === 0 ? await flash(k("old.fwx"), ["--no-delta"]) : { json: null, err: old.err };
  check(ro.json?.verdict === "refused" && ro.json?.code === "FWX_PKG_E_ROLLBACK", `an older sequence is refused (${ro.json?.code ?? ro.err})`);
}

// A module that faults during its trial is reverted, and its crash report names the integrator's line:
// the device reports wasm3's frames in the instrumented payload (d_m3RecordBacktraces) under the payload's
// SHA-256, and the map fwx pack wrote beside the package (<out>.mcu.fwxmap.json) names them.
{
  const faulty = k("faulty-project");
  cpSync(join(root, "tests", "fixtures", "faulty-project"), faulty, { recursive: true });
  const pkg = k("faulty.fwx");
  const p = run(["pack", faulty, "--key", k("acme.key"), "--cert", k("acme.cert"), "--target", "mcu", "-o", pkg], 300_000);
  check(p.status === 0 && existsSync(k("faulty.mcu.fwxmap.json")), "fwx pack --target mcu tests/fixtures/faulty-project writes the instrumented payload's debug map", p.err + p.out);
  const r = await flash(pkg, ["--no-delta"]);
  await alive("a faulting trial");
  check(r.json?.verdict === "reverted", `a module that faults during its trial → ${r.json?.verdict ?? "no verdict"}: ${r.json?.reason ?? r.err}`, r.err + dev.log());
  const shown = run(["logs", "w3", "--broker", broker, "--module", "com.example.faulty", "--lines", "20", "--map", k("faulty.mcu.fwxmap.json")], 30_000);
  // FAULT_LINE of tests/build/faulty-project.ts: the out-of-range read the fault comes from.
  check(shown.status === 0 && /FAULT abort in fwx_on_timer/.test(shown.out) && shown.out.includes("assembly/index.ts:8:10"),
    "fwx logs names the fault at the integrator's line (assembly/index.ts:8:10) through the map", shown.out + shown.err);
}

// kill -9 and restart: every confirmed module comes back from its re-verified slot.
await alive("the OTA scenarios");
dev.p.kill("SIGKILL");
await new Promise((r) => dev.p.on("exit", r));
dev = startDevice();
await dev.online;
const devs = run(["devices", "--broker", broker, "--json"], 30_000);
const confirmedNow = (devs.out.match(/"state":"confirmed"/g) ?? []).length;
check(confirmedNow === timings.filter((t) => t.verdict === "confirmed").length, `after kill -9: ${confirmedNow} module(s) confirmed and running again`, devs.out);
const logs = run(["logs", "w3", "--broker", broker, "--json", "--lines", "20"], 30_000);
check(logs.status === 0 && logs.out.includes("\"module\""), "fwx logs returns the device's lines", logs.err);
for (const e of examples) {
  if (!packages[e]) continue;
  const rm = run(["remove", "w3", `com.example.${e}`, "--broker", broker, "--json", ...ops], 30_000);
  check(rm.status === 0 && rm.out.includes("removed"), `fwx remove com.example.${e}`, rm.out + rm.err);
}

// The C and Rust ports of the cold-chain alarm (docs/modules-c-rust.md) on the
// real wasm3, each alone: they claim the same pins as the AssemblyScript one.
for (const lang of ["c", "rust"]) {
  const project = join(root, "examples", lang, "cold-chain-alarm");
  const vars = lang === "c" ? [`CC=${ensureClangWasm()}`] : [`RUSTC=${ensureRustWasm()}`];
  const made = spawnSync("make", ["-C", project, ...vars], { encoding: "utf8", timeout: 300_000, env: clangEnv() });
  check(made.status === 0, `make examples/${lang}/cold-chain-alarm`, `${made.stdout}${made.stderr}`);
  if (made.status !== 0) continue;
  const pkg = k(`cold-chain-${lang}.fwx`);
  const p = run(["pack", project, "--key", k("acme.key"), "--cert", k("acme.cert"), "--target", "mcu", "-o", pkg], 300_000);
  check(p.status === 0, `fwx pack --target mcu examples/${lang}/cold-chain-alarm`, p.err + p.out);
  if (p.status !== 0) continue;
  const start = performance.now();
  const r = await flash(pkg);
  const secs = (performance.now() - start) / 1000;
  timings.push({ example: `${lang}/cold-chain-alarm`, verdict: r.json?.verdict, seconds: secs, transferMs: r.json?.transferMs, bytes: r.json?.packageBytes, reason: r.json?.reason });
  await alive(`flashing the ${lang} port`);
  check(r.json?.verdict === "confirmed", `${lang}/cold-chain-alarm: fwx flash → ${r.json?.verdict ?? "no verdict"} in ${secs.toFixed(2)} s (${r.json?.packageBytes} bytes)${r.json?.verdict === "confirmed" ? "" : `: ${r.json?.reason ?? r.err}`}`, r.err + dev.log());
  const rm = run(["remove", "w3", `com.example.cold-chain-alarm-${lang}`, "--broker", broker, "--json", ...ops], 30_000);
  check(rm.status === 0 && rm.out.includes("removed"), `fwx remove com.example.cold-chain-alarm-${lang}`, rm.out + rm.err);
}

console.log(JSON.stringify({ wasm3: version, tree, timings }));
console.log(`${passed} passed, ${failed} failed`);
cleanup();
process.exit(failed ? 1 : 0);
