// Compiled objects shared between the C suites and kept between runs
// (tests/c/build/objects/), as ccache's direct mode does:
//   - an object's key is gcc itself (its version, target and the environment
//     variables that change where it looks), the exact arguments, the source's
//     path and its bytes;
//   - an entry records every file gcc read for it (its -MD dependency list, with
//     system headers) as a digest, and the file names in every directory it
//     searched (each -I directory and each directory a header came from; the
//     header names only), so
//     a header added where it would now be found first misses too;
//   - an entry is used only if all of those read the same now.
// Two compiles of a source that differ only in -D options share one object
// when the files the first one read never name a macro whose -D differs
// (a layout or variant define that most sources never test). Two that differ
// only in -I directories (a suite adds its own for its test headers) share
// one when gcc's preprocessor gives both the same text, line markers and so
// every header's path included: the same files were found.
// Only successful compiles are kept, with what gcc printed (the strict checks
// require it to be empty). A suite links its harness from these objects, so
// the same firmware file under the same flags is compiled once, and each
// compile is its own process: two at a time on two cores instead of one
// multi-source gcc call on one.
// A compile whose arguments include -fsyntax-only is a check without an
// object: it is kept the same way (its verdict and what gcc printed), and its
// result's `obj` is null.

import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { availableParallelism } from "node:os";

/** Environment variables gcc reads to find headers, libraries or itself. */
const GCC_ENV = ["CPATH", "C_INCLUDE_PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH", "LIBRARY_PATH", "SOURCE_DATE_EPOCH", "GCC_COMPARE_DEBUG"];

/** Names an #include can find (a directory's other files, such as objects written beside sources, do not count). */
const HEADER = /\.(h|inc|def)$/;

const sha = (data) => createHash("sha256").update(data).digest("hex");

/** A check without an object (gcc -fsyntax-only). */
const syntaxOnly = (args) => args.includes("-fsyntax-only");

/** gcc's identity: a different compiler (or an upgraded one) never reuses an object. */
export function compilerIdentity(cc = "gcc", env = process.env) {
  const v = spawnSync(cc, ["-v"], { encoding: "utf8" });
  const machine = spawnSync(cc, ["-dumpmachine"], { encoding: "utf8" });
  return sha(JSON.stringify([cc, v.stderr, machine.stdout, GCC_ENV.map((k) => [k, env[k] ?? null])]));
}

/** The -I directories of an argument list (absolute), and the other arguments in order. */
function splitIncludeDirs(args, cwd) {
  const dirs = [];
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-I" && i + 1 < args.length) dirs.push(resolve(cwd, args[++i]));
    else if (args[i].startsWith("-I") && args[i].length > 2) dirs.push(resolve(cwd, args[i].slice(2)));
    else rest.push(args[i]);
  }
  return { dirs, rest };
}

/** The files a make-style dependency list names (after "target:"), with escaped spaces kept. */
export function parseDepfile(text) {
  const body = text.replace(/\\\r?\n/g, " ");
  const colon = body.search(/:(\s|$)/);
  const rest = colon < 0 ? body : body.slice(colon + 1);
  return rest.split(/(?<!\\)\s+/).filter(Boolean).map((p) => p.replace(/\\ /g, " "));
}

/**
 * The cache. `exec(cmd, args)` runs a command (the C runner's); `jobs` compiles may run at once.
 * `compile(args, src)` resolves with { status, err, obj, cached }: args are gcc's options without
 * -c/-o and the source. Only `obj` of a compile with status 0 may be linked.
 */
export function createObjectCache({ root, dir, exec, jobs = availableParallelism(), cc = "gcc", identity = compilerIdentity(cc) }) {
  mkdirSync(dir, { recursive: true });
  const fileDigests = new Map(); // path -> digest or null (missing); one read per path per run
  const listings = new Map(); // dir -> digest of its names
  const inFlight = new Map();
  let running = 0;
  const waiting = [];
  const stats = { hits: 0, misses: 0, shared: 0, unaffected: 0, samePath: 0 };

  const digestOf = (p) => {
    if (!fileDigests.has(p)) {
      let d = null;
      try {
        d = sha(readFileSync(p));
      } catch {
        d = null;
      }
      fileDigests.set(p, d);
    }
    return fileDigests.get(p);
  };
  const listingOf = (d) => {
    if (!listings.has(d)) {
      let names = null;
      try {
        names = statSync(d).isDirectory() ? readdirSync(d).filter((n) => HEADER.test(n)).sort().join("\n") : null;
      } catch {
        names = null;
      }
      listings.set(d, names === null ? null : sha(names));
    }
    return listings.get(d);
  };

  async function slot(fn) {
    if (running >= jobs) await new Promise((go) => waiting.push(go));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  }

  /** The entry's key: everything but the files gcc reads (those are checked against the entry). */
  function keyOf(args, src) {
    return sha(JSON.stringify([identity, root, args, src, digestOf(src)]));
  }

  /** The directories a compile with `args` that read `files` searched: each -I directory and each file's own. */
  function searchedDirs(args, files) {
    return [...new Set([...splitIncludeDirs(args, root).dirs, ...files.map((p) => dirname(p))])].sort();
  }

  /** An entry: the files a compile read and the directories it searched, as they read now, and what gcc printed. */
  function entryOf(src, files, args, err) {
    return { src, files: files.map((p) => [p, digestOf(p)]), dirs: searchedDirs(args, files).map((d) => [d, listingOf(d)]), err };
  }

  /** Whether every file and directory the entry recorded reads the same now. */
  function fresh(entry) {
    return entry.files.every(([p, d]) => digestOf(p) === d) && entry.dirs.every(([p, d]) => listingOf(p) === d);
  }

  async function compileMiss(args, src, entryDir) {
    const tmp = `${entryDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    mkdirSync(tmp, { recursive: true });
    const obj = join(tmp, "obj.o");
    const dep = join(tmp, "obj.d");
    const r = await exec(cc, [...args, "-MD", "-MF", dep, ...(syntaxOnly(args) ? [src] : ["-c", src, "-o", obj])]);
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      return { status: r.status, err: r.err, obj: null, cached: false };
    }
    const files = [...new Set(parseDepfile(readFileSync(dep, "utf8")).map((p) => (isAbsolute(p) ? p : resolve(root, p))))].sort();
    // Freshly read: a file edited during the compile must not be recorded with its new digest.
    for (const p of files) fileDigests.delete(p);
    for (const d of searchedDirs(args, files)) listings.delete(d);
    writeFileSync(join(tmp, "entry.json"), JSON.stringify(entryOf(src, files, args, r.err)));
    rmSync(join(tmp, "obj.d"), { force: true });
    rmSync(entryDir, { recursive: true, force: true });
    try {
      renameSync(tmp, entryDir);
    } catch {
      // Another process stored the same entry first: its object is as good.
      rmSync(tmp, { recursive: true, force: true });
    }
    return { status: 0, err: r.err, obj: syntaxOnly(args) ? null : join(entryDir, "obj.o"), cached: false, files };
  }

  /**
   * The -D options of an argument list by macro name, and the other arguments in order. A name
   * given twice, or a -D with its value in the next argument, leaves the whole list in `rest`.
   */
  function splitDefines(args) {
    const defines = new Map();
    for (const a of args.filter((x) => x.startsWith("-D"))) {
      const m = /^-D([A-Za-z_][A-Za-z0-9_]*)(=[^]*)?$/.exec(a);
      if (!m || defines.has(m[1])) return { defines: new Map(), rest: args };
      defines.set(m[1], a);
    }
    return { defines, rest: args.filter((a) => !a.startsWith("-D")) };
  }

  const texts = new Map(); // path -> contents (null: unreadable), for the macro-name search
  const textOf = (p) => {
    if (!texts.has(p)) {
      let text = null;
      try {
        text = readFileSync(p, "latin1");
      } catch {
        text = null;
      }
      texts.set(p, text);
    }
    return texts.get(p);
  };

  /**
   * Whether a compile with `defines` preprocesses exactly as an earlier one with `other` did: the
   * macros whose -D differs (closed over any -D whose option text names one of them) are named in
   * none of the files that compile read, so no directive or expansion can see the difference.
   */
  function sameText(defines, other, files) {
    const differ = new Set([...defines.keys(), ...other.keys()].filter((n) => defines.get(n) !== other.get(n)));
    const all = [...defines, ...other];
    for (let grew = true; grew; ) {
      grew = false;
      for (const [name, opt] of all) {
        if (!differ.has(name) && [...differ].some((n) => opt.includes(n))) {
          differ.add(name);
          grew = true;
        }
      }
    }
    if (differ.size === 0) return true;
    return files.every((p) => {
      const text = textOf(p);
      return text !== null && ![...differ].some((n) => text.includes(n));
    });
  }

  // The compiles of one source with the same arguments but for -D options, in the order asked for.
  const families = new Map();
  // The same for -I options.
  const searchFamilies = new Map();

  // Arguments and source -> the digest of what gcc -E makes of it (null: it failed), once per run.
  const preprocessed = new Map();
  function preprocessedText(args, src) {
    const k = JSON.stringify([args, src]);
    if (!preprocessed.has(k)) {
      preprocessed.set(k, slot(async () => {
        const r = await exec(cc, [...args.filter((a) => a !== "-fsyntax-only"), "-E", src]);
        return r.status === 0 ? sha(r.out) : null;
      }));
    }
    return preprocessed.get(k);
  }

  /**
   * Stores a successful compile's object under another key (so the next run hits it directly), with an
   * entry of the files it read and the directories `args` searches: another -I list is watched for a
   * header added where it would be found first, as a compile of its own would be.
   */
  function storeAs(from, entryDir, args, src) {
    const tmp = `${entryDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    mkdirSync(tmp, { recursive: true });
    if (from.obj) copyFileSync(from.obj, join(tmp, "obj.o"));
    writeFileSync(join(tmp, "entry.json"), JSON.stringify(entryOf(src, from.files, args, from.err)));
    rmSync(entryDir, { recursive: true, force: true });
    try {
      renameSync(tmp, entryDir);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
    }
    return { status: 0, err: from.err, obj: from.obj ? join(entryDir, "obj.o") : null, cached: false, files: from.files };
  }

  function compile(args, src) {
    const key = keyOf(args, src);
    if (inFlight.has(key)) {
      stats.shared++;
      return inFlight.get(key);
    }
    const entryDir = join(dir, key.slice(0, 2), key);
    const { defines, rest } = splitDefines(args);
    const familyKey = JSON.stringify([rest, src]);
    if (!families.has(familyKey)) families.set(familyKey, []);
    const family = families.get(familyKey);
    const searchKey = JSON.stringify([splitIncludeDirs(args, root).rest, src]);
    if (!searchFamilies.has(searchKey)) searchFamilies.set(searchKey, []);
    const searchFamily = searchFamilies.get(searchKey);
    // Only compiles asked for before this one: none ever waits on one that waits on it.
    const earlier = [...family];
    const earlierSearch = [...searchFamily];
    const p = (async () => {
      try {
        const entry = JSON.parse(readFileSync(join(entryDir, "entry.json"), "utf8"));
        if (entry.src === src && (syntaxOnly(args) || existsSync(join(entryDir, "obj.o"))) && fresh(entry)) {
          stats.hits++;
          const now = new Date();
          utimesSync(join(entryDir, "entry.json"), now, now); // used: kept by prune
          return { status: 0, err: entry.err, obj: syntaxOnly(args) ? null : join(entryDir, "obj.o"), cached: true, files: entry.files.map(([f]) => f) };
        }
      } catch {
        // No entry, or a damaged one: compile.
      }
      // An earlier compile of this source whose text these -D options cannot change gave this object.
      for (const other of earlier) {
        const r = await other.result;
        if (r.status === 0 && sameText(defines, other.defines, r.files)) {
          stats.unaffected++;
          return storeAs(r, entryDir, args, src);
        }
      }
      // An earlier compile of this source with other -I directories that found the same headers.
      for (const other of earlierSearch) {
        const r = await other.result;
        if (r.status !== 0) continue;
        const mine = await preprocessedText(args, src);
        if (mine !== null && mine === (await preprocessedText(other.args, src))) {
          stats.samePath++;
          return storeAs(r, entryDir, args, src);
        }
      }
      stats.misses++;
      return slot(() => compileMiss(args, src, entryDir));
    })();
    family.push({ defines, result: p });
    searchFamily.push({ args, result: p });
    inFlight.set(key, p);
    return p;
  }

  /**
   * Compiles `src` with `args` plus the -D options `defines`, after `args` alone: when no file the
   * compile without them read (the source and every header, from gcc's own dependency list) names
   * any of their macros, they cannot change a byte of the preprocessed text, and that object is
   * the answer (compile shares objects so between any two compiles that differ only in -D options).
   */
  async function compileWith(args, defines, src) {
    await compile(args, src);
    return compile([...args, ...defines], src);
  }

  /**
   * Compiles every source with `args` (cached) and links them with `objects` and `linkArgs` into
   * `out` (`defines`: -D options added through compileWith). Resolves like exec: { status, out, err }
   * with the first failing compile's output.
   */
  async function build(args, sources, out, { linkArgs = [], objects = [], defines = [] } = {}) {
    const compiled = await Promise.all(sources.map((src) => (defines.length ? compileWith(args, defines, src) : compile(args, src))));
    const bad = compiled.filter((c) => c.status !== 0);
    if (bad.length) return { status: bad[0].status, out: "", err: bad.map((c) => c.err).join("\n") };
    // Compile-only options are harmless at the link; the sanitizers need theirs there.
    const link = await slot(() => exec(cc, [...args, ...objects, ...compiled.map((c) => c.obj), ...linkArgs, "-o", out]));
    return { status: link.status, out: link.out, err: [...compiled.map((c) => c.err), link.err].filter((e) => e.trim() !== "").join("\n") };
  }

  /** Deletes entries no run has used for `days` days (an edited file leaves its old objects behind). */
  function prune(days = 7) {
    const before = Date.now() - days * 86_400_000;
    for (const fan of readdirSync(dir)) {
      for (const key of readdirSync(join(dir, fan))) {
        const at = join(dir, fan, key);
        let used = 0;
        try {
          used = statSync(join(at, "entry.json")).mtimeMs;
        } catch {
          used = 0; // an unfinished or damaged entry
        }
        if (used < before && !key.includes(".tmp-")) rmSync(at, { recursive: true, force: true });
      }
    }
  }

  return { compile, compileWith, build, prune, stats };
}
