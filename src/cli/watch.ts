// `--watch`: run a command's work again whenever one of its inputs is saved.
// One watcher per input: a project directory (its sources and fwx.json,
// recursively, without its build outputs) or a single file. Editors save in
// bursts (write, rename, chmod), so a change is taken once things are quiet
// for a moment.

import { existsSync, watch, statSync, type FSWatcher } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { readManifest } from "../build/manifest.js";

/** What a project's save can touch: sources, the manifest, traces and profiles. Build outputs never count. */
const WATCHED = /\.(ts|json|csv|wasm|fwx)$/;
const IGNORED_DIRS = new Set(["build", "node_modules", ".git"]);

export interface WatchTarget {
  /** The directory watched. */
  dir: string;
  /** Only this file in `dir` when the input is a file; null for a project directory. */
  file: string | null;
}

/**
 * The inputs named on a command line (project directories, entry files,
 * modules, packages) as watch targets. A project whose entry is a .wasm from
 * another toolchain (docs/modules-c-rust.md) is watched for that file too:
 * it usually sits under build/, which a project's watch otherwise skips.
 */
export function watchTargets(paths: string[]): WatchTarget[] {
  return paths.flatMap((p): WatchTarget[] => {
    const abs = resolve(p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch { /* a missing input is the command's to report */ }
    if (!isDir) return [{ dir: dirname(abs), file: basename(abs) }];
    const entry = wasmEntry(abs);
    return [{ dir: abs, file: null }, ...(entry ? [{ dir: dirname(entry), file: basename(entry) }] : [])];
  });
}

/** The project's .wasm entry when its fwx.json names one; null otherwise (or when fwx.json cannot be read: the command says why). */
function wasmEntry(projectDir: string): string | null {
  try {
    const entry = readManifest(projectDir).entry;
    // Its directory must exist to be watched; before the first toolchain build it may not.
    return entry.endsWith(".wasm") && existsSync(dirname(join(projectDir, entry))) ? join(projectDir, entry) : null;
  } catch {
    return null;
  }
}

function counts(target: WatchTarget, name: string): boolean {
  if (target.file !== null) return name === target.file;
  if (!WATCHED.test(name)) return false;
  return !name.split(sep).some((part) => IGNORED_DIRS.has(part));
}

/**
 * Resolves with the first changed input (a path relative to the working directory) once `quietMs`
 * pass without another change. Rejects when a target cannot be watched.
 */
export function nextChange(targets: WatchTarget[], quietMs = 60, signal?: AbortSignal): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const watchers: FSWatcher[] = [];
    let first: string | null = null;
    let timer: NodeJS.Timeout | null = null;
    const close = () => {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      close();
      reject(signal!.reason ?? new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (const t of targets) {
        const w = watch(t.dir, { recursive: t.file === null }, (_event, name) => {
          if (name === null || !counts(t, name)) return;
          first ??= relative(process.cwd(), join(t.dir, name)) || name;
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => {
            close();
            resolvePromise(first!);
          }, quietMs);
        });
        w.on("error", (e) => {
          close();
          reject(e);
        });
        watchers.push(w);
      }
    } catch (e) {
      close();
      reject(e);
    }
  });
}
