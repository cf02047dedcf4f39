#!/usr/bin/env node
// Makes sure the compilers that build C and Rust modules for wasm32 are there:
// Debian's clang + lld (`clang --target=wasm32`, linked by wasm-ld) and
// Debian's rustc with libstd-rust-dev-wasm32 (`--target wasm32-unknown-unknown`,
// no_std). Used by the C/Rust module tests (tests/guest/) and by the C ports in
// `npm run bench`. Installs the Debian packages when something is missing
// (scripts/apt.mjs); nothing installed by hand is assumed.
//
// Debian's rustc is used by absolute path (/usr/bin/rustc): a rustup rustc
// earlier on PATH usually has no wasm32 target, and `rustup target add` needs
// a network this project does not assume.
//
// Usable as a module (`ensureClangWasm()`, `ensureRustWasm()`) or run directly
// (`node scripts/ensure-wasm-compilers.mjs [c|rust]`): exit 0 when every asked-for
// compiler builds a probe module afterwards, 1 otherwise.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptAvailable, aptInstall } from "./apt.mjs";

const log = (msg) => console.error(`ensure-wasm-compilers: ${msg}`);
const DEBIAN_RUSTC = "/usr/bin/rustc";

/**
 * The environment to run clang in (directly or through make): this one, with every PATH directory
 * that holds a `wasm-opt` but no clang or wasm-ld left out. At -O1 and above, clang's wasm32 driver
 * runs `wasm-opt` after linking when it finds one on PATH, and `npm test`, `npm run` and `npx` put
 * binaryen's (node_modules/.bin) there: the module then depends on how the build was started, not
 * on its flags, and every compile pays for a second optimiser process (0.5 to 2 CPU-s each, about
 * 13 CPU-s of a test run). Builds that want wasm-opt run it themselves (bench/c-ports.ts). A
 * wasm-opt in the same directory as clang (a system-wide binaryen package) cannot be hidden this
 * way and is still run.
 */
export function clangEnv(env = process.env) {
  const dirs = (env.PATH ?? "").split(delimiter).filter((dir) => {
    if (!dir || !existsSync(join(dir, "wasm-opt"))) return true;
    return existsSync(join(dir, "clang")) || existsSync(join(dir, "wasm-ld"));
  });
  return { ...env, PATH: dirs.join(delimiter) };
}

/** Runs `build(dir)` in a scratch directory; returns an error text or null when it produced a wasm module at dir/probe.wasm. */
function probe(build) {
  const dir = mkdtempSync(join(tmpdir(), "fwx-wasm-probe-"));
  try {
    const r = build(dir);
    if (r.error) return r.error.message;
    if (r.status !== 0) return (r.stderr || r.stdout || `exit ${r.status}`).trim();
    const bytes = readFileSync(join(dir, "probe.wasm"));
    return bytes.subarray(0, 4).toString("latin1") === "\0asm" ? null : "the probe's output is not a wasm module";
  } catch (e) {
    return e.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function clangProblem() {
  return probe((dir) => {
    writeFileSync(join(dir, "probe.c"), "__attribute__((export_name(\"f\"))) int f(int x) { return x + 1; }\n");
    return spawnSync("clang", ["--target=wasm32", "-nostdlib", "-Oz", "-Wl,--no-entry", join(dir, "probe.c"), "-o", join(dir, "probe.wasm")], { encoding: "utf8", env: clangEnv() });
  });
}

function rustProblem() {
  return probe((dir) => {
    writeFileSync(join(dir, "probe.rs"), "#![no_std]\n#[panic_handler]\nfn p(_: &core::panic::PanicInfo) -> ! { loop {} }\n#[no_mangle]\npub extern \"C\" fn f(x: i32) -> i32 { x + 1 }\n");
    return spawnSync(DEBIAN_RUSTC, ["--target", "wasm32-unknown-unknown", "--crate-type", "cdylib", "-C", "panic=abort", "-C", "opt-level=z", join(dir, "probe.rs"), "-o", join(dir, "probe.wasm")], { encoding: "utf8" });
  });
}

function ensure(name, packages, problemOf) {
  let problem = problemOf();
  if (problem === null) return;
  if (!aptAvailable()) throw new Error(`${name} does not work here (${problem}) and apt-get is not available; install ${packages.join(" ")} with your package manager`);
  aptInstall(packages, log);
  problem = problemOf();
  if (problem !== null) throw new Error(`${name} still does not work after apt-get install ${packages.join(" ")}:\n${problem}`);
}

/** The examples' Makefiles run under make, which a minimal image may lack. */
function makeProblem() {
  const r = spawnSync("make", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? null : (r.error?.message ?? `make --version exited ${r.status}`);
}

/** Ensures clang with wasm-ld builds wasm32 modules (and make runs); returns the clang command to use. */
export function ensureClangWasm() {
  ensure("make", ["make"], makeProblem);
  ensure("clang", ["clang", "lld"], clangProblem);
  return "clang";
}

/** Ensures Debian's rustc builds no_std wasm32 modules (and make runs); returns the rustc path to use. */
export function ensureRustWasm() {
  ensure("make", ["make"], makeProblem);
  ensure("rustc", ["rustc", "libstd-rust-dev-wasm32"], rustProblem);
  return DEBIAN_RUSTC;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = process.argv[2] ?? "all";
  try {
    if (which === "c" || which === "all") log(`${ensureClangWasm()} builds wasm32 modules`);
    if (which === "rust" || which === "all") log(`${ensureRustWasm()} builds no_std wasm32 modules`);
  } catch (e) {
    log(e.message);
    process.exit(1);
  }
}
