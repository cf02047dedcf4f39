// Preparing modules off the agent's thread. One worker thread, reused, runs
// prepareModule (prepare-worker.ts) for one request at a time; running
// modules keep their thread meanwhile. A request that takes longer than the
// time limit is refused as "time-limit" (naming the limit) and the worker is
// terminated, so a module that makes validation or instrumentation run away
// costs only its own refusal; the next request starts a fresh worker.
//
// A caller that cannot wait asynchronously (the device agent's boot, which
// starts each installed module in turn) prepares through the same worker
// while its thread waits (prepareOffThreadSync): the agent's thread then never
// loads the validator and the instrumenter (binaryen, some 14 MB) at all, and
// the worker loads them once for the boot and every install after it.
//
// Where the worker's code is: next to the bundle in dist/ (npm run build
// writes dist/prepare-worker.js), or, running from the TypeScript sources (tests,
// benchmarks), bundled on first use with esbuild, a development dependency.

import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ModuleRefused, type PreparedModule, type PrepareOptions, type RefusalStep } from "./refusal.js";
import { lookupPrepared, preparedKey, storePrepared } from "./prepared-cache.js";
import { PREPARE_TIME_LIMIT_MS } from "../validate/limits.js";
import { writeFileDurable } from "../fs/durable.js";

export interface PrepareRequest {
  id: number;
  bytes: Uint8Array;
  options: PrepareOptions;
  /** A request whose sender waits (prepareOffThreadSync): the reply goes to `port`, then `signal[0]` becomes 1 and is notified. */
  waiting?: { port: MessagePort; signal: Int32Array };
}

export type PrepareReply =
  | { id: number; ok: true; prepared: PreparedModule }
  | { id: number; ok: false; refused: { moduleId: string; step: RefusalStep; report: string; problems: string[] } };

export interface OffThreadOptions {
  /** Wall-clock limit for this module's preparation; default PREPARE_TIME_LIMIT_MS. */
  timeLimitMs?: number;
}

interface Job {
  req: PrepareRequest;
  timeLimitMs: number;
  resolve(p: PreparedModule): void;
  reject(e: unknown): void;
}

const here = fileURLToPath(import.meta.url);

/** dist/prepare-worker.js beside the bundle (or its chunk directory), if this code runs from dist. */
function bundledWorker(): string | null {
  if (here.endsWith(".ts")) return null;
  for (const candidate of [join(dirname(here), "prepare-worker.js"), join(dirname(here), "..", "prepare-worker.js")]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** The TypeScript source of the worker: beside this file, or (inside a run-ts bundle) in the repository run from. */
function workerSource(): string {
  const candidates = here.endsWith(".ts") ? [join(dirname(here), "prepare-worker.ts")] : [];
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    candidates.push(join(dir, "src", "agent", "prepare-worker.ts"));
    if (dirname(dir) === dir) break;
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`the module preparation worker was not found (looked for dist/prepare-worker.js and ${candidates[0]})`);
  return found;
}

let workerPath: string | null = null;

function locateWorker(): string {
  workerPath ??= bundledWorker() ?? bundleWorkerSource(workerSource());
  return workerPath;
}

/**
 * The worker bundled from its TypeScript source into node_modules/.cache/fwx-prepare-worker, named by
 * its content: the same sources give the same file, whichever process (and working directory) made it.
 */
export function bundleWorkerSource(source: string): string {
  const root = resolve(dirname(source), "..", "..");
  const cacheDir = join(root, "node_modules", ".cache", "fwx-prepare-worker");
  mkdirSync(cacheDir, { recursive: true });
  // A development dependency: only reached when running from the sources. Synchronous, so that
  // prepareOffThreadSync can start the worker too.
  const { buildSync } = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
  // absWorkingDir: esbuild names each source in a comment relative to it; from the process's working
  // directory, every directory a process ran in made one more bundle.
  const built = buildSync({ entryPoints: [source], absWorkingDir: root, outfile: join(cacheDir, "prepare-worker.mjs"), write: false, bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "error" });
  const code = built.outputFiles[0]!.contents;
  // Named by its content, shared by every process running the same sources, and never removed
  // while one might start a worker from it: a name per process, removed at exit, was left behind
  // by every vitest worker (they are stopped without running exit handlers).
  const out = join(cacheDir, `prepare-worker.${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  if (!existsSync(out)) {
    // Whole or not at all: a process starting a worker from it never reads half a bundle.
    writeFileDurable(out, code);
    pruneOldWorkers(cacheDir, out);
  }
  return out;
}

/** Bundles of older sources, a day after they were written: no test or bench run lasts that long. */
function pruneOldWorkers(dir: string, keep: string): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (p !== keep && f.startsWith("prepare-worker.") && (statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < dayAgo) rmSync(p, { force: true });
  }
}

/** The refusal of a preparation stopped at its time limit. */
function timeLimitRefusal(options: PrepareOptions, timeLimitMs: number): ModuleRefused {
  const msg = `preparing the module (validate, instrument, compile) took longer than the limit of ${timeLimitMs} ms (limit "prepareTimeLimitMs"); it was stopped`;
  return new ModuleRefused(options.moduleId, "time-limit", `${options.source}: ${msg}`, [msg]);
}

function refusalOf(reply: Extract<PrepareReply, { ok: false }>): ModuleRefused {
  const r = reply.refused;
  return new ModuleRefused(r.moduleId, r.step, r.report, r.problems);
}

class PreparePool {
  private worker: Worker | null = null;
  private readonly queue: Job[] = [];
  private current: { job: Job; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;

  prepare(bytes: Uint8Array, options: PrepareOptions, timeLimitMs: number): Promise<PreparedModule> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { id: this.nextId++, bytes, options }, timeLimitMs, resolve, reject });
      this.pump();
    });
  }

  /**
   * Prepares on the worker while this thread waits, up to the time limit. Requests already queued
   * are answered after it: the worker takes one at a time, and this one is posted now.
   */
  prepareSync(bytes: Uint8Array, options: PrepareOptions, timeLimitMs: number): PreparedModule {
    const w = this.ensureWorker();
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    try {
      w.postMessage({ id: this.nextId++, bytes, options, waiting: { port: port2, signal } } satisfies PrepareRequest, [port2]);
      // The limit covers waiting for a request the worker was already on; a worker that died answers never, and is the limit's too.
      const waited = Atomics.wait(signal, 0, 0, timeLimitMs);
      const reply = receiveMessageOnPort(port1)?.message as PrepareReply | undefined;
      if (waited === "timed-out" || !reply) {
        this.worker = null;
        void w.terminate();
        throw timeLimitRefusal(options, timeLimitMs);
      }
      if (reply.ok) return reply.prepared;
      throw refusalOf(reply);
    } finally {
      port1.close();
      if (!this.current && this.worker === w) w.unref();
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(pathToFileURL(locateWorker()));
    w.on("message", (reply: PrepareReply) => this.onReply(w, reply));
    w.on("error", (err) => this.onWorkerGone(w, `the preparation worker failed: ${err.message}`));
    w.on("exit", (code) => this.onWorkerGone(w, `the preparation worker exited with code ${code}`));
    this.worker = w;
    return w;
  }

  private pump(): void {
    if (this.current || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    // The timer starts before the worker does: starting it is part of preparing.
    const timer = setTimeout(() => this.onTimeout(job), job.timeLimitMs);
    this.current = { job, timer };
    let w: Worker;
    try {
      w = this.ensureWorker();
    } catch (err) {
      this.finish(job, () => job.reject(err));
      return;
    }
    w.ref();
    w.postMessage(job.req);
  }

  private finish(job: Job, settle: () => void): void {
    if (this.current?.job !== job) return;
    clearTimeout(this.current.timer);
    this.current = null;
    // An idle worker must not keep the process alive.
    this.worker?.unref();
    settle();
    this.pump();
  }

  private onReply(w: Worker, reply: PrepareReply): void {
    const job = this.current?.job;
    if (w !== this.worker || !job || job.req.id !== reply.id) return;
    if (reply.ok) this.finish(job, () => job.resolve(reply.prepared));
    else this.finish(job, () => job.reject(refusalOf(reply)));
  }

  private onTimeout(job: Job): void {
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
    this.finish(job, () => job.reject(timeLimitRefusal(job.req.options, job.timeLimitMs)));
  }

  private onWorkerGone(w: Worker, why: string): void {
    if (w !== this.worker) return;
    this.worker = null;
    const job = this.current?.job;
    if (job) {
      const { moduleId, source } = job.req.options;
      this.finish(job, () => job.reject(new ModuleRefused(moduleId, "internal", `${source}: ${why}`, [why])));
    }
  }
}

const pool = new PreparePool();

/**
 * Prepares a module on the preparation worker: resolves with the prepared
 * module or rejects with ModuleRefused (the time limit included), never with
 * anything else a module could cause.
 */
export function prepareOffThread(bytes: Uint8Array, options: PrepareOptions, o: OffThreadOptions = {}): Promise<PreparedModule> {
  return pool.prepare(bytes, options, o.timeLimitMs ?? PREPARE_TIME_LIMIT_MS);
}

/**
 * Prepares a module on the preparation worker while this thread waits (the agent's boot): returns
 * the prepared module or throws ModuleRefused (the time limit included), as prepareOffThread settles.
 */
export function prepareOffThreadSync(bytes: Uint8Array, options: PrepareOptions, o: OffThreadOptions = {}): PreparedModule {
  return pool.prepareSync(bytes, options, o.timeLimitMs ?? PREPARE_TIME_LIMIT_MS);
}

let identity: string | null = null;

/**
 * What identifies the code that prepares modules, for the cache of prepared modules: a digest of the
 * worker's script (all of that code: see prepared-cache.ts) and binaryen's version.
 */
export function preparerIdentity(): string {
  identity ??= (() => {
    const script = readFileSync(locateWorker());
    const binaryenEntry = createRequire(import.meta.url).resolve("binaryen");
    const binaryen = (JSON.parse(readFileSync(join(dirname(binaryenEntry), "package.json"), "utf8")) as { version?: string }).version ?? "?";
    return createHash("sha256").update(script).update(`\0binaryen ${binaryen}`).digest("hex");
  })();
  return identity;
}

/**
 * prepareOffThread through the cache of prepared modules in `cacheDir` (prepared-cache.ts): a module
 * prepared before with the same options, by the same code, is compiled from the cache on this
 * thread instead. Null `cacheDir`: prepareOffThread as it is.
 */
export async function prepareOffThreadCached(bytes: Uint8Array, options: PrepareOptions, o: OffThreadOptions & { cacheDir: string | null }): Promise<PreparedModule> {
  const { cacheDir, ...offThread } = o;
  if (cacheDir === null) return prepareOffThread(bytes, options, offThread);
  const key = preparedKey(preparerIdentity(), bytes, options);
  const hit = lookupPrepared(cacheDir, key, bytes, options);
  if (hit) return hit;
  const prepared = await prepareOffThread(bytes, options, offThread);
  storePrepared(cacheDir, key, prepared);
  return prepared;
}
