// The simulator's cache of prepared modules (src/agent/prepared-cache.ts): a
// hit gives what preparing gives (the same module as it runs, the same frame
// map, the same crash reports), a key changes with everything the entry is
// made from, and a damaged entry or a refusal is never used.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareModule, ModuleRefused } from "../../src/agent/prepare.js";
import { prepareOffThreadCached, preparerIdentity } from "../../src/agent/prepare-pool.js";
import { lookupPrepared, preparedCacheDir, preparedKey, storePrepared } from "../../src/agent/prepared-cache.js";
import { formatCrashReport } from "../../src/agent/faults.js";
import { hostile, tickerModule } from "../fixtures/hostile/modules.js";
import { runNode } from "../support/run-cli.js";
import { seconds, spec, testAgent } from "./helpers.js";

const dirs: string[] = [];
function cacheDir(): string {
  const d = mkdtempSync(join(tmpdir(), "fwx-prepared-cache-"));
  dirs.push(d);
  return d;
}
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const opts = { moduleId: "m", source: "m.wasm", ramBudgetBytes: 65536 };
const entries = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".prepared.gz"));

describe("the cache of prepared modules", () => {
  it("is found where the other caches are, and FWX_PREPARE_CACHE=0 turns it off", () => {
    expect(preparedCacheDir({ FWX_CACHE_DIR: "/c" })).toBe("/c/prepared");
    expect(preparedCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/fwx/prepared");
    expect(preparedCacheDir({ FWX_PREPARE_CACHE: "0", FWX_CACHE_DIR: "/c" })).toBeNull();
  });

  it("gives on a hit what preparing gives: the same module as it runs, frame map and exports", async () => {
    const dir = cacheDir();
    const bytes = hostile.unreachable();
    const fresh = prepareModule(bytes, opts);
    const first = await prepareOffThreadCached(bytes, opts, { cacheDir: dir });
    expect(entries(dir)).toHaveLength(1);
    const hit = lookupPrepared(dir, preparedKey(preparerIdentity(), bytes, opts), bytes, { ...opts, moduleId: "other", source: "other.wasm" });
    expect(hit).not.toBeNull();
    for (const p of [first, hit!]) {
      expect(Buffer.from(p.memory.bytes).equals(Buffer.from(fresh.memory.bytes))).toBe(true);
      expect({ ...p.memory, bytes: null }).toEqual({ ...fresh.memory, bytes: null });
      expect({ ...p.frames, original: null, instrumented: null }).toEqual({ ...fresh.frames, original: null, instrumented: null });
      expect([...p.exports].sort()).toEqual([...fresh.exports].sort());
    }
    // The names in reports are the caller's, not the ones the entry was made under.
    expect(hit!.id).toBe("other");
  });

  it("runs a module from a hit exactly as a prepared one: the same events and the same crash report", async () => {
    const dir = cacheDir();
    const run = async () => {
      const agent = testAgent({ preparedCacheDir: dir });
      await agent.addModule(spec("crashy", hostile.unreachable()));
      await agent.addModule(spec("ticker", tickerModule(1000)));
      const summary = await agent.run(seconds(2.5));
      return { events: agent.log.events.map((e) => ({ ...e })), reports: summary.faults.map((f) => formatCrashReport(f)) };
    };
    const missed = await run();
    expect(entries(dir)).toHaveLength(2);
    const hit = await run();
    expect(entries(dir)).toHaveLength(2);
    expect(missed.reports.length).toBeGreaterThan(0);
    expect(missed.reports[0]).toContain("culprit (function 3)");
    expect(hit).toEqual(missed);
  });

  it("keys an entry by the module, the options and the preparing code", async () => {
    const me = preparerIdentity();
    const bytes = tickerModule(1000);
    const key = preparedKey(me, bytes, opts);
    expect(preparedKey(me, bytes, { ...opts, moduleId: "x", source: "x.wasm" })).toBe(key);
    expect(preparedKey(me, tickerModule(999), opts)).not.toBe(key);
    expect(preparedKey(me, bytes, { ...opts, ramBudgetBytes: 65536 * 2 })).not.toBe(key);
    expect(preparedKey(me, bytes, { ...opts, deviceClass: "mcu" })).not.toBe(key);
    expect(preparedKey(`${me}x`, bytes, opts)).not.toBe(key);
  });

  it("misses on a damaged entry, prepares again and replaces it", async () => {
    const dir = cacheDir();
    const bytes = tickerModule(1000);
    const good = await prepareOffThreadCached(bytes, opts, { cacheDir: dir });
    const [name] = entries(dir);
    const key = preparedKey(preparerIdentity(), bytes, opts);
    const file = join(dir, name!);
    const whole = readFileSync(file);
    // Cut short (a full disk), garbage, and a well-formed entry whose module does not match its digest.
    writeFileSync(file, whole.subarray(0, whole.length >> 1));
    expect(lookupPrepared(dir, key, bytes, opts)).toBeNull();
    writeFileSync(file, "not gzip");
    expect(lookupPrepared(dir, key, bytes, opts)).toBeNull();
    const tampered = { ...good, memory: { ...good.memory, bytes: Uint8Array.from(good.memory.bytes) } };
    storePrepared(dir, key, tampered);
    const { gunzipSync, gzipSync } = await import("node:zlib");
    const entry = JSON.parse(gunzipSync(readFileSync(file)).toString("utf8")) as { bytes: string };
    const flipped = Buffer.from(entry.bytes, "base64");
    flipped[flipped.length - 1]! ^= 1;
    writeFileSync(file, gzipSync(JSON.stringify({ ...entry, bytes: flipped.toString("base64") })));
    expect(lookupPrepared(dir, key, bytes, opts)).toBeNull();
    // The next run prepares it afresh and keeps the good entry again.
    const again = await prepareOffThreadCached(bytes, opts, { cacheDir: dir });
    expect(Buffer.from(again.memory.bytes).equals(Buffer.from(good.memory.bytes))).toBe(true);
    expect(lookupPrepared(dir, key, bytes, opts)).not.toBeNull();
  });

  it("never keeps a refusal", async () => {
    const dir = cacheDir();
    const e = await prepareOffThreadCached(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), opts, { cacheDir: dir }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModuleRefused);
    expect(entries(dir)).toEqual([]);
  });
});

describe("fwx run and the cache", () => {
  it("a second run of an unchanged module comes from the cache, with the same output; FWX_PREPARE_CACHE=0 keeps nothing", async () => {
    const cache = cacheDir();
    const work = cacheDir();
    const module = join(work, "crashy.wasm");
    writeFileSync(module, hostile.unreachable());
    const run = (env: Record<string, string>) => runNode(resolve("dist/cli.js"), ["run", module, "--duration", "3s"], { cwd: work, env: { FWX_CACHE_DIR: cache, ...env } });
    const first = await run({});
    expect(first.code).toBe(3);
    expect(first.out).toContain("culprit (function 3)");
    const prepared = join(cache, "prepared");
    expect(entries(prepared)).toHaveLength(1);
    const second = await run({});
    expect({ code: second.code, out: second.out }).toEqual({ code: first.code, out: first.out });
    expect(entries(prepared)).toHaveLength(1);
    rmSync(prepared, { recursive: true, force: true });
    const off = await run({ FWX_PREPARE_CACHE: "0" });
    expect(off.out).toBe(first.out);
    expect(readdirSync(cache)).toEqual([]);
  });

  it("a run whose module comes from the cache starts no preparation worker (and so never loads binaryen)", async () => {
    const cache = cacheDir();
    const work = cacheDir();
    const module = join(work, "ticker.wasm");
    writeFileSync(module, tickerModule(1000));
    // Counts the worker threads the process starts: Worker, wrapped before fwx loads, for its ES imports too.
    const hook = join(work, "count-workers.cjs");
    writeFileSync(hook, [
      'const wt = require("node:worker_threads"); const Real = wt.Worker; let n = 0;',
      "wt.Worker = class extends Real { constructor(...a) { super(...a); n++; } };",
      'require("node:module").syncBuiltinESMExports();',
      'process.on("exit", () => require("node:fs").writeFileSync(process.env.FWX_TEST_WORKERS, String(n)));',
    ].join("\n"));
    const workers = async (name: string) => {
      const file = join(work, `${name}.txt`);
      const r = await runNode(resolve("dist/cli.js"), ["run", module, "--duration", "10s"], { cwd: work, env: { FWX_CACHE_DIR: cache, NODE_OPTIONS: `--require ${hook}`, FWX_TEST_WORKERS: file } });
      expect(r.code, r.err).toBe(0);
      return Number(readFileSync(file, "utf8"));
    };
    expect(await workers("miss")).toBe(1); // the control: a module not prepared before
    expect(await workers("hit")).toBe(0);
  });

  it("fwx build compiles once, its RAM run keeps what it prepared, and fwx run of the project runs the same compile", async () => {
    const cache = cacheDir();
    const work = cacheDir();
    const build = () => runNode(resolve("dist/cli.js"), ["build", resolve("examples/cold-chain-alarm"), "-o", join(work, "m.wasm")], { cwd: work, env: { FWX_CACHE_DIR: cache } });
    const ram = (out: string) => /^ +RAM run .*$/m.exec(out)?.[0];
    const first = await build();
    expect(first.code, first.err).toBe(0);
    expect(ram(first.out)).toMatch(/needs \d+ B measured/);
    // The RAM run runs the build's own bytes: the project was compiled once, not once more for the run.
    expect(readdirSync(join(cache, "asc"))).toHaveLength(1);
    const prepared = join(cache, "prepared");
    expect(entries(prepared)).toHaveLength(1);
    const key = entries(prepared)[0];
    const second = await build();
    expect(ram(second.out)).toBe(ram(first.out));
    expect(entries(prepared)).toEqual([key]);
    // fwx run of the project runs what fwx build wrote: the same compile, so a hit in the compile cache.
    const run = await runNode(resolve("dist/cli.js"), ["run", resolve("examples/cold-chain-alarm"), "--duration", "1s"], { cwd: work, env: { FWX_CACHE_DIR: cache } });
    expect(run.code, run.err).toBe(0);
    expect(readdirSync(join(cache, "asc"))).toHaveLength(1);
  });
});
