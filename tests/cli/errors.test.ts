// Errors and exit codes a script can trust: each bad invocation exits with the
// code its help names and one line "fwx: <command>: …" naming the argument or
// file, with no stack trace, no node:util parser text and no raw errno code,
// and before any work: no simulation ran, nothing was built, signed or created.
//
// The cases run through runCli in this process (tests/support/cli-in-process.ts:
// the same dispatch, output and exit code, and a command that leaves a socket
// or timer running fails), each under a time limit; a process per case spent
// most of its CPU starting Node and loading the CLI (10 CPU-s for the file on
// 2 cores). A few run through the bundled CLI in a child process too, for what
// only a process shows: that it ends, with that code, on that line.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinNegativeValues } from "../../src/cli/main.js";
import { tickerModule } from "../fixtures/hostile/modules.js";
import { generateKeyPair, issueCertificate } from "../../src/pkg/index.js";
import { privateKeyPem } from "../../src/pkg/keys.js";
import { CHILD_NODE_FLAGS } from "../support/child-node.mjs";
import { runCliInProcess } from "../support/cli-in-process.js";

const CLI = resolve("dist/cli.js");
const EXAMPLE = resolve("examples/cold-chain-alarm");
/** A check that does its work first would need far longer: every run case asks for a day of device time. */
const TIMEOUT_MS = 30_000;

let dir: string;
let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first (npm test does)");
  dir = mkdtempSync(join(tmpdir(), "fwx-cli-errors-"));
  writeFileSync(join(dir, "tick.wasm"), tickerModule(500));
  writeFileSync(join(dir, "junk.fwxrec"), "not a recording");
  // Only its magic matters here: the checks name the kind of file before reading any further.
  writeFileSync(join(dir, "rec.fwxrec"), "FWXREC\0\0\0\0");
  // A package's 16-byte header declaring more than the 40 bytes that follow it.
  writeFileSync(join(dir, "half.fwx"), Buffer.concat([Buffer.from([0x89, 0x46, 0x57, 0x58, 2, 0, 16, 0, 16, 0, 0, 0, 16, 0, 0, 0]), Buffer.alloc(24)]));
  mkdirSync(join(dir, "adir"));
  // A state directory whose kv file for the example is damaged (a power cut on a file system without atomic rename, a hand edit).
  mkdirSync(join(dir, "damaged-state", "kv"), { recursive: true });
  writeFileSync(join(dir, "damaged-state", "kv", "com.example.cold-chain-alarm.json"), "{\"format\":1,\"entries\":");
  mkdirSync(join(dir, "empty-project"));
  writeFileSync(join(dir, "index.ts"), "export function fwx_init(): i32 { return 0; }\n");
  // A project whose fwx.json names an entry that is not there (a typo, a renamed file).
  mkdirSync(join(dir, "no-entry"));
  writeFileSync(join(dir, "no-entry", "fwx.json"), JSON.stringify({ id: "com.acme.no-entry", version: "1.0.0", entry: "assembly/main.ts" }));
  mkdirSync(join(dir, "no-entry", "sub"));
  const root = generateKeyPair(), acme = generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  writeFileSync(join(dir, "acme.key"), privateKeyPem(acme.privateKey), { mode: 0o600 });
  // Only its first bytes matter here: the package magic, then a header no reader gets past.
  writeFileSync(join(dir, "pkg.fwx"), Uint8Array.of(0x89, 0x46, 0x57, 0x58, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  writeFileSync(join(dir, "acme.cert"), issueCertificate({ integratorId: "acme", integratorKey: acme.publicKey, modulePrefix: "com.acme.", capabilities: {}, customers: ["a"], notBefore: now - 60, notAfter: now + 3600 }, root.privateKey));
  busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, "127.0.0.1", ok));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((ok) => busy.close(ok));
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  argv: () => string[];
  code: number;
  /** What the message must say: the argument or file, and what is wrong with it. */
  says: RegExp;
  /** Checks that no work was done (beyond the common: no simulation output). */
  noWork?: () => void;
}

const CASES: Record<string, Case> = {
  "run --record into a missing directory": {
    argv: () => ["run", "tick.wasm", "--duration", "24h", "--record", "/nonexistent/x.fwxrec"],
    code: 2, says: /--record \/nonexistent\/x\.fwxrec: directory \/nonexistent does not exist/,
  },
  "run --record onto a directory": {
    argv: () => ["run", "tick.wasm", "--duration", "24h", "--record", "adir"],
    code: 2, says: /--record adir: is a directory/,
  },
  "run --state-dir under a missing directory": {
    argv: () => ["run", "tick.wasm", "--duration", "24h", "--state-dir", "/nonexistent/a/state"],
    code: 2, says: /--state-dir \/nonexistent\/a\/state: directory \/nonexistent\/a does not exist/,
  },
  "run --state-dir whose kv file for the module is damaged": {
    argv: () => ["run", EXAMPLE, "--duration", "24h", "--state-dir", "damaged-state"],
    code: 2, says: /^fwx: run: damaged-state\/kv\/com\.example\.cold-chain-alarm\.json: unreadable store: /m,
  },
  "run --trace that does not exist": {
    argv: () => ["run", "tick.wasm", "--duration", "24h", "--trace", "nope.csv"],
    code: 2, says: /--trace nope\.csv: no such file or directory/,
  },
  "run --trace that is a directory": {
    argv: () => ["run", "tick.wasm", "--duration", "24h", "--trace", "adir"],
    code: 2, says: /--trace adir: is a directory/,
  },
  "run --board that does not exist": {
    argv: () => ["run", "tick.wasm", "--duration", "24h", "--board", "nope.json"],
    code: 2, says: /--board nope\.json: no such file or directory/,
  },
  "run --duration negative": {
    argv: () => ["run", "tick.wasm", "--duration", "-5m"],
    code: 2, says: /--duration -5m: must be a positive time/,
  },
  "run --duration without a unit": {
    argv: () => ["run", "tick.wasm", "--duration", "10"],
    code: 2, says: /--duration 10: give a unit: 10ms, 10s, 10m or 10h/,
  },
  "run --fuel negative": {
    argv: () => ["run", "tick.wasm", "--duration", "24h", "--fuel", "-1"],
    code: 2, says: /--fuel -1: expected a positive integer/,
  },
  // docs/module-manifest.md: the simulator checks a --config value as the device checks `fwx config set`.
  "run --config outside the manifest's bounds": {
    argv: () => ["run", EXAMPLE, "--duration", "24h", "--config", "sample_period_s=0"],
    code: 2, says: /run: --config sample_period_s=0: com\.example\.cold-chain-alarm\.sample_period_s: 0 is outside \[1, 3600\]/,
  },
  "demo --duration without a unit": {
    argv: () => ["demo", "--duration", "5"],
    code: 2, says: /--duration 5: give a unit/,
  },
  "validate a directory": {
    argv: () => ["validate", "adir"],
    code: 2, says: /validate: adir: is a directory, expected a file/,
  },
  "validate a missing file": {
    argv: () => ["validate", "nope.wasm"],
    code: 2, says: /validate: nope\.wasm: no such file or directory/,
  },
  "replay against a directory": {
    argv: () => ["replay", "junk.fwxrec", "adir"],
    code: 2, says: /replay: adir: is a directory, expected a file/,
  },
  "replay a missing recording": {
    argv: () => ["replay", "nope.fwxrec", "tick.wasm"],
    code: 2, says: /replay: nope\.fwxrec: no such file or directory/,
  },
  "build a directory without fwx.json": {
    argv: () => ["build", "empty-project"],
    code: 2, says: /build: empty-project\/fwx\.json: \(file\): not found: a project directory needs one/,
    noWork: () => expect(existsSync(join(dir, "empty-project", "build"))).toBe(false),
  },
  // fwx run takes no .ts entry (fwx build does): neither its advice nor a "missing magic bytes" about a source file.
  "run a directory without fwx.json": {
    argv: () => ["run", "empty-project", "--duration", "24h"],
    code: 2, says: /^fwx: run: empty-project refused \(manifest\):\nempty-project: no fwx\.json here: fwx run takes a project directory \(with fwx\.json\), a \.wasm or a \.fwx package \(fwx new makes a project\)\n$/,
  },
  "run an AssemblyScript source file": {
    argv: () => ["run", "index.ts", "--duration", "24h"],
    code: 2, says: /^fwx: run: index refused \(manifest\):\nindex\.ts: an AssemblyScript source file: fwx run takes a project directory \(with fwx\.json\), a \.wasm or a \.fwx package; fwx build index\.ts makes a \.wasm\n$/,
  },
  // A file of another kind is named as what it is, with the command that reads it (src/pkg/file-kind.ts).
  "validate given a package": {
    argv: () => ["validate", "pkg.fwx"],
    code: 2, says: /^fwx: validate: pkg\.fwx: not a WebAssembly module: it is a \.fwx package \(fwx inspect shows it and its certificate, fwx verify checks it\)\n$/,
  },
  "replay with its two files swapped": {
    argv: () => ["replay", "tick.wasm", "rec.fwxrec"],
    code: 2, says: /^fwx: replay: tick\.wasm: not a recording: it is a WebAssembly module \(fwx validate checks it, fwx pack makes a package of it\) \(the recording comes first: fwx replay <run\.fwxrec> <module\.wasm>\)\n$/,
  },
  "replay against a package": {
    argv: () => ["replay", "rec.fwxrec", "pkg.fwx"],
    code: 2, says: /^fwx: replay: pkg\.fwx: not a WebAssembly module: it is a \.fwx package/,
  },
  "run a recording": {
    argv: () => ["run", "rec.fwxrec", "--duration", "24h"],
    code: 2, says: /^fwx: run: rec refused \(manifest\):\nrec\.fwxrec: not a WebAssembly module: it is a recording \(fwx replay runs it\)\n$/,
  },
  // From a project's subdirectory (assembly/, build/): the project above is named, in the same words by each.
  "build from a project's subdirectory": {
    argv: () => ["build", "no-entry/sub"],
    code: 2, says: /^fwx: build: no-entry\/sub\/fwx\.json: \(file\): not found: .* \(no-entry\/fwx\.json is above it: name that project directory, no-entry, or run fwx from it\)\n$/,
  },
  "run from a project's subdirectory": {
    argv: () => ["run", "no-entry/sub", "--duration", "24h"],
    code: 2, says: /\(no-entry\/fwx\.json is above it: name that project directory, no-entry, or run fwx from it\)\n$/,
  },
  "ram from a project's subdirectory": {
    argv: () => ["ram", "no-entry/sub"],
    code: 2, says: /\(no-entry\/fwx\.json is above it: name that project directory, no-entry, or run fwx from it\)\n$/,
  },
  "test from a project's subdirectory": {
    argv: () => ["test", "no-entry/sub"],
    code: 2, says: /^fwx: test: no-entry\/sub\/as-pect\.config\.js: not found: .* \(no-entry\/fwx\.json is above it: name that project directory, no-entry, or run fwx from it\)\n$/,
  },
  "pack from a project's subdirectory": {
    argv: () => ["pack", "no-entry/sub", "--key", "acme.key", "--cert", "acme.cert", "-o", "x.fwx"],
    code: 2, says: /\(no-entry\/fwx\.json is above it: name that project directory, no-entry, or run fwx from it\)\n$/,
  },
  "ram given a file": {
    argv: () => ["ram", "index.ts"],
    code: 2, says: /^fwx: ram: index\.ts: not a project directory: fwx ram measures a project \(a directory with fwx\.json\)\n$/,
  },
  "build a project whose fwx.json names a missing entry": {
    argv: () => ["build", "no-entry"],
    code: 2, says: /build: .*no-entry\/fwx\.json: entry: assembly\/main\.ts: no such file in the project/,
    noWork: () => expect(existsSync(join(dir, "no-entry", "build"))).toBe(false),
  },
  "run a project whose fwx.json names a missing entry": {
    argv: () => ["run", "no-entry", "--duration", "24h"],
    code: 2, says: /no-entry\/fwx\.json: entry: assembly\/main\.ts: no such file in the project/,
  },
  "pack a project whose fwx.json names a missing entry": {
    argv: () => ["pack", "no-entry", "--key", "acme.key", "--cert", "acme.cert", "-o", "x.fwx"],
    code: 2, says: /pack: .*no-entry\/fwx\.json: entry: assembly\/main\.ts: no such file in the project/,
  },
  "build -o into a missing directory": {
    argv: () => ["build", EXAMPLE, "-o", join(dir, "missing", "x.wasm")],
    code: 2, says: /build: -o .*missing\/x\.wasm: directory .*missing does not exist/,
    noWork: () => expect(existsSync(join(dir, "missing"))).toBe(false),
  },
  "keys gen --out into a missing directory": {
    argv: () => ["keys", "gen", "--out", "keys/root"],
    code: 2, says: /keys gen: --out keys\/root: directory keys does not exist/,
    noWork: () => expect(existsSync(join(dir, "keys"))).toBe(false),
  },
  // A file of another kind is named as what it is, with the command that reads it (src/pkg/file-kind.ts).
  "cert show given a package": {
    argv: () => ["cert", "show", "pkg.fwx"],
    code: 2, says: /cert: pkg\.fwx: not a certificate: it is a \.fwx package \(fwx inspect shows it and its certificate/,
  },
  "cert show given a PEM key": {
    argv: () => ["cert", "show", "acme.key"],
    code: 2, says: /cert: acme\.key: not a certificate: it is a PEM key/,
  },
  "inspect given a WebAssembly module": {
    argv: () => ["inspect", "tick.wasm"],
    code: 2, says: /inspect: tick\.wasm: FWX_PKG_E_MAGIC: byte 0 is 0x00, expected 0x89 \(not a \.fwx package\); it is a WebAssembly module \(fwx validate checks it/,
  },
  "cert issue -o into a missing directory, checked before the keys are read": {
    argv: () => ["cert", "issue", "--root-key", "nope.key", "--integrator-pub", "nope.pub", "--id", "acme", "--module-prefix", "com.acme.", "--caps", "nope.json", "--customers", "a", "-o", "missing/acme.cert"],
    code: 2, says: /cert issue: -o missing\/acme\.cert: directory missing does not exist/,
  },
  "pack -o into a missing directory, checked before building": {
    argv: () => ["pack", EXAMPLE, "--key", "nope.key", "--cert", "nope.cert", "-o", "missing/x.fwx"],
    code: 2, says: /pack: -o missing\/x\.fwx: directory missing does not exist/,
  },
  "flash a truncated package: named with what is wrong, before credentials or the broker": {
    argv: () => ["flash", "half.fwx", "--device", "gw-1", "--broker", "mqtt://127.0.0.1:1", "--operator-key", "nope.key", "--operator-cert", "nope.cert", "--root", "nope.pub"],
    code: 2, says: /flash: half\.fwx: not a package: FWX_PKG_E_TRUNCATED: .* but the file has 40/,
  },
  "flash a file that is not a package": {
    argv: () => ["flash", "tick.wasm", "--device", "gw-1", "--broker", "mqtt://127.0.0.1:1", "--operator-key", "nope.key", "--operator-cert", "nope.cert", "--root", "nope.pub"],
    code: 2, says: /flash: tick\.wasm: not a package: FWX_PKG_E_MAGIC: byte 0 .*; it is a WebAssembly module \(fwx validate checks it/,
  },
  "new under a missing directory": {
    argv: () => ["new", "missing/thermo"],
    code: 2, says: /new: missing\/thermo: directory missing does not exist/,
  },
  "new with an empty --fwx dependency": {
    argv: () => ["new", "thermo", "--fwx", ""],
    // Refused as every empty argument is (src/cli/main.ts), before new's own check could see it.
    code: 2, says: /^fwx: new: argument 3 is empty \(the value of --fwx\)/,
    noWork: () => expect(existsSync(join(dir, "thermo"))).toBe(false),
  },
  "board serve --socket in a missing directory": {
    argv: () => ["board", "serve", "--socket", "/nonexistent/board.sock"],
    code: 2, says: /board serve: --socket \/nonexistent\/board\.sock: directory \/nonexistent does not exist/,
  },
  "verify without what the device can grant": {
    argv: () => ["verify", "x.fwx", "--root", "r.pub", "--customer", "c", "--group", "g"],
    code: 2, says: /^fwx: verify: --board <profile\.json> or --device-caps <caps\.json> is required \(what the device can grant\)$/m,
  },
  "verify with both --board and --device-caps": {
    argv: () => ["verify", "x.fwx", "--root", "r.pub", "--customer", "c", "--group", "g", "--board", "b.json", "--device-caps", "c.json"],
    code: 2, says: /^fwx: verify: give --board <profile\.json> or --device-caps <caps\.json>, not both$/m,
  },
  "broker on a port in use exits 1": {
    argv: () => ["broker", "--port", String(busyPort)],
    code: 1, says: /broker: cannot listen on 127\.0\.0\.1:\d+: the port is in use/,
  },
  "broker --tls-cert that does not exist": {
    argv: () => ["broker", "--port", "0", "--tls-cert", "nope.pem", "--tls-key", "nope.key"],
    code: 2, says: /broker: --tls-cert nope\.pem: no such file or directory/,
  },
};

interface Outcome { status: number | null; stdout: string; stderr: string }

function expectRefused(name: string, argv: string[], r: Outcome, before: string[]): void {
  const c = CASES[name]!;
  const shown = `fwx ${argv.join(" ")}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  expect(r.status, shown).toBe(c.code);
  // One prefix: "fwx: <command>: …" (or "fwx: <command> <action>: …" for keys and cert).
  expect(r.stderr, shown).toMatch(new RegExp(`^fwx: ${argv[0]}(?: ${argv[1]})?: `));
  expect(r.stderr, shown).toMatch(c.says);
  expect(r.stderr, shown).not.toMatch(/\n\s+at /);
  expect(r.stderr, shown).not.toMatch(/internal error|ambiguous|\bE[A-Z]{3,}\b|ERR_/);
  // No work before the check: nothing simulated, built or written.
  expect(r.stdout, shown).not.toMatch(/on board|done at|\btick\b|^built |^wrote /m);
  expect(readdirSync(dir).sort()).toEqual(before);
  c.noWork?.();
}

describe("fwx: bad invocations", () => {
  it.each(Object.keys(CASES))("%s", async (name) => {
    const argv = CASES[name]!.argv();
    const before = readdirSync(dir).sort();
    expectRefused(name, argv, await runCliInProcess(argv, { cwd: dir, timeoutMs: TIMEOUT_MS }), before);
  });
});

describe("fwx: bad invocations, through the bundled CLI in a process", () => {
  // The kinds of refusal: an output path checked before a simulation, a server that cannot listen (the
  // process must end, with 1), a key that is not written.
  it.each(["run --record into a missing directory", "broker on a port in use exits 1", "keys gen --out into a missing directory"])("%s", (name) => {
    const argv = CASES[name]!.argv();
    const before = readdirSync(dir).sort();
    const r = spawnSync(process.execPath, [...CHILD_NODE_FLAGS, CLI, ...argv], { cwd: dir, encoding: "utf8", timeout: TIMEOUT_MS });
    expect(r.error, `fwx ${argv.join(" ")} did not end within ${TIMEOUT_MS} ms`).toBeUndefined();
    expectRefused(name, argv, r, before);
  });
});

describe("joinNegativeValues", () => {
  it("joins an option with a value that looks like a negative number, and nothing else", () => {
    expect(joinNegativeValues(["x.wasm", "--duration", "-5m", "--fuel", "-1", "--seed", "-.5"])).toEqual(["x.wasm", "--duration=-5m", "--fuel=-1", "--seed=-.5"]);
    // A following option stays an option; short options and values after "--" are left alone.
    expect(joinNegativeValues(["--json", "--duration", "10m"])).toEqual(["--json", "--duration", "10m"]);
    expect(joinNegativeValues(["--record", "-o", "-1"])).toEqual(["--record", "-o", "-1"]);
    expect(joinNegativeValues(["--", "--duration", "-5m"])).toEqual(["--", "--duration", "-5m"]);
  });
});

describe("docs/module-manifest.md on fwx run --config", () => {
  it("says the simulator checks a value's bounds, as it does (the case above)", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync("docs/module-manifest.md", "utf8").replace(/\s+/g, " ");
    expect(doc).toContain("`fwx run --config` makes the same check");
    expect(doc).not.toMatch(/fwx run --config` on the simulator does not check/);
  });
});
