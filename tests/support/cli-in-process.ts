// Runs an `fwx` command inside the test's own process: runCli (src/cli/main.ts),
// the whole of an invocation but for src/cli.ts's wiring to the process. For
// tests that read what a command prints and returns, not how a process starts
// or ends: the field tools driving a device, refusals and their exit codes,
// what fwx run prints, builds. A child process per command spent most of its
// CPU starting Node and loading the CLI again (the C-device files, some 110
// commands: 35 -> 16 CPU-s on 2 cores; the CLI's error cases: 10 -> 3). A call
// may name a working directory and variables, as a shell would give them.
// Tests of signals, of a process's end and its real environment keep running
// the bundled CLI as a child (tests/support/run-cli.ts); the error, fault and
// credential files keep a case or two that way too, for what only a process
// shows (the exit code and the end a script sees).
//
// What a command prints is captured per call, concurrent calls included: the
// capture follows the call's async context (AsyncLocalStorage), so output
// written on the command's behalf later (a timer, a socket's callback) still
// lands in its own result, and output of anything else passes through.
// A command must leave nothing running behind it: a process would exit over a
// forgotten socket or timer, this process would carry it into the next test.
// What the command's own context created (async_hooks, so another test's
// sockets do not count) and still holds the event loop fails the call, by kind.

import { AsyncLocalStorage, createHook } from "node:async_hooks";
import { createRequire } from "node:module";
import { format } from "node:util";
import { runCli } from "../../src/cli/main.js";
import type { NodeRun } from "./run-cli.js";

// A call given a working directory runs in it (process.chdir). esbuild reads the working directory once,
// when it is first loaded, and starts its service there ever after; first loaded inside such a call (the
// preparation worker is bundled from the sources on first use), it would keep a temporary directory that
// is gone by the next test's build ("spawn .../esbuild ENOENT"). Loaded here, it keeps this process's own.
createRequire(import.meta.url)("esbuild");

export interface InProcessRun {
  status: number;
  stdout: string;
  stderr: string;
}

interface Capture {
  stdout: string;
  stderr: string;
}

const capture = new AsyncLocalStorage<Capture>();
const patched = new WeakSet<object>();

/** Routes writes made inside a capture to it; every other write goes where it went. */
function patchStream(stream: NodeJS.WriteStream, key: keyof Capture): void {
  if (patched.has(stream)) return;
  patched.add(stream);
  const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((chunk: unknown, encoding?: unknown, done?: unknown) => {
    const c = capture.getStore();
    if (!c) return write(chunk, encoding, done);
    c[key] += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
    const callback = typeof encoding === "function" ? encoding : typeof done === "function" ? done : null;
    if (callback) queueMicrotask(() => (callback as () => void)());
    return true;
  }) as typeof stream.write;
}

/** The same for the console, which vitest replaces with its own in a worker (so it is patched as found). */
function patchConsole(con: Console): void {
  if (patched.has(con)) return;
  patched.add(con);
  for (const [method, key] of [["log", "stdout"], ["info", "stdout"], ["error", "stderr"], ["warn", "stderr"]] as const) {
    const original = con[method].bind(con);
    con[method] = (...args: unknown[]) => {
      const c = capture.getStore();
      if (!c) return original(...args);
      c[key] += `${format(...args)}\n`;
    };
  }
}

/**
 * The async resources that can hold a process open. Not TLSWRAP: a TLS socket holds its TCPWRAP (tracked), and
 * the TLS layer's own resource is destroyed only when it is garbage-collected, long after the socket closed.
 */
const HOLDING = new Set(["TCPWRAP", "TCPSERVERWRAP", "PIPEWRAP", "PIPESERVERWRAP", "UDPWRAP", "PROCESSWRAP", "FSEVENTWRAP", "STATWATCHER", "Timeout", "Immediate"]);
/** Such resources a capture's context created and that are not destroyed yet. */
const live = new Map<number, { type: string; resource: { hasRef?: () => boolean }; owner: Capture }>();
const hook = createHook({
  init(id, type, _trigger, resource) {
    if (!HOLDING.has(type)) return;
    const owner = capture.getStore();
    if (owner) live.set(id, { type, resource: resource as { hasRef?: () => boolean }, owner });
  },
  destroy(id) {
    live.delete(id);
  },
});
let capturing = 0;

/** What `owner`'s context left that still holds the event loop (an unref'd timer does not). */
function leftBy(owner: Capture): string[] {
  return [...live.values()].filter((r) => r.owner === owner && (r.resource.hasRef?.() ?? true)).map((r) => r.type);
}

/**
 * Calls that run in another working directory or environment have the process to themselves: both are
 * process-wide, so such a call waits for the calls in flight and holds off new ones until it is done.
 * Calls without (the device files' concurrent field commands) run side by side.
 */
let inFlight = 0;
/** Settles when the call that has the process to itself is done; null when none has. */
let holder: Promise<void> | null = null;
const drained: (() => void)[] = [];

async function shared<T>(body: () => Promise<T>): Promise<T> {
  while (holder) await holder;
  inFlight++;
  try {
    return await body();
  } finally {
    if (--inFlight === 0) drained.splice(0).forEach((wake) => wake());
  }
}

async function alone<T>(body: () => Promise<T>): Promise<T> {
  while (holder) await holder;
  let release!: () => void;
  holder = new Promise<void>((r) => (release = r));
  while (inFlight > 0) await new Promise<void>((r) => drained.push(r));
  try {
    return await body();
  } finally {
    holder = null;
    release();
  }
}

export interface InProcessOptions {
  /** The working directory the command sees (process.chdir, put back after). */
  cwd?: string;
  /** Variables set for the command (undefined unsets one), put back after. */
  env?: Record<string, string | undefined>;
  /**
   * A time limit (default 60 s), so a hang is a failure by name. Unlike a process, a command over it is not
   * killed: it goes on until its own timeouts end it.
   */
  timeoutMs?: number;
}

/** `fwx <args>` in this process: its exit code and what it printed. */
export async function runCliInProcess(args: string[], o: InProcessOptions = {}): Promise<InProcessRun> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`fwx ${args.join(" ")} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  const run = inContext(args, o);
  // Past the limit the test has failed by name; what the command does after is not another failure.
  run.catch(() => {});
  try {
    return await Promise.race([run, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * runCliInProcess's result in the shape of runNode's (tests/support/run-cli.ts), for files whose commands
 * ran as processes before and whose other commands still do.
 */
export async function runCliInProcessAsNode(args: string[], o: InProcessOptions = {}): Promise<NodeRun> {
  const r = await runCliInProcess(args, o);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function inContext(args: string[], o: InProcessOptions): Promise<InProcessRun> {
  if (o.cwd === undefined && o.env === undefined) return shared(() => captured(args));
  return alone(async () => {
    const cwd = process.cwd();
    const saved = Object.entries(o.env ?? {}).map(([k]) => [k, process.env[k]] as const);
    const set = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
    try {
      for (const [k, v] of Object.entries(o.env ?? {})) set(k, v);
      if (o.cwd !== undefined) process.chdir(o.cwd);
      return await captured(args);
    } finally {
      process.chdir(cwd);
      for (const [k, v] of saved) set(k, v);
    }
  });
}

async function captured(args: string[]): Promise<InProcessRun> {
  patchStream(process.stdout, "stdout");
  patchStream(process.stderr, "stderr");
  patchConsole(globalThis.console);
  const out: Capture = { stdout: "", stderr: "" };
  if (capturing++ === 0) hook.enable();
  try {
    const status = await capture.run(out, () => runCli(args));
    // A socket's close completes a few turns of the event loop after the command asked for it.
    let left = leftBy(out);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      left = leftBy(out);
    }
    if (left.length > 0) throw new Error(`fwx ${args.join(" ")} returned ${status} but left ${left.join(", ")} running\n${out.stderr}`);
    return { status, ...out };
  } finally {
    for (const [id, r] of live) if (r.owner === out) live.delete(id);
    if (--capturing === 0) hook.disable();
  }
}
