import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { readInputFile, readInputText } from "../cli/files.js";
import { APPROVE_MODES, parseMaxFailures, parseRate, parseTarget, parseWaves, PlanError, TARGET_HELP } from "../fleet/rollout-plan.js";
import type { RolloutView } from "../fleet/rollouts.js";
import { DebugMapError, findDebugMap, parseDebugMap, type DebugMap } from "../build/debug-map.js";
import { readPackageUnverified } from "../pkg/index.js";
import { dirname } from "node:path";
import { parseSeconds } from "../ota/cli-support.js";

const DEFAULT_FLEET = "http://127.0.0.1:8470";
/** How long one request may take (--timeout): a service that accepts the connection but never answers is named, not waited on forever. */
const DEFAULT_TIMEOUT_S = 30;

const help = `usage: fwx rollout create <package.fwx> --target <filter> [--waves 1,5%,25%,100%]
                          [--max-failures 2%] [--min-per-wave N] [--rate N/min]
                          [--max-concurrent N] [--approve [every|first]] [--map f.fwxmap.json]
       fwx rollout status [<id>] [--wait]
       fwx rollout pause|resume|cancel <id>
       fwx rollout map <file.fwxmap.json>...
       (all: [--fleet ${DEFAULT_FLEET}] [--timeout <s>] [--json])

Staged rollouts on the fleet service (\`fwx fleet\`), which flashes the
devices with its operator credentials through the same signed commands as
\`fwx flash\`, and records every step in its database (a restarted service
carries on and never installs on a device twice).

The targeted devices are split into waves. A wave starts only when the one
before it succeeded: every device reached a verdict and at most
--max-failures of them failed. Reverted, failed, refused or timed-out
verdicts past that limit halt the rollout, with the reason recorded; devices
of later waves are never touched.

options:
  --fleet <url>           the fleet service's API, for every action (default ${DEFAULT_FLEET}; env FWX_FLEET)
  --json                  print the service's JSON answer
  --timeout <s>           give up on a request the service does not answer within this time
                          (default ${DEFAULT_TIMEOUT_S} s; units: 500ms, 30s, 2m); exit 4

create options:
  --target <filter>       ${TARGET_HELP}
  --waves <list>          cumulative wave ends: device counts or percentages of the
                          targeted devices (default 100%: one wave)
  --max-failures <n|p%>   failures a wave may have, a count or a percentage of the
                          wave (default 0: the first failure halts)
  --min-per-wave <n>      every wave has at least this many devices (default 1)
  --rate <n>/min          start at most n transfers a minute (default: no limit)
  --max-concurrent <n>    transfers under way at once (default 50)
  --approve [every|first] wait for a person's approval (\`fwx rollout resume <id>\`, or Approve
                          in the console): every (the default when --approve is given
                          alone) before each wave, once the wave before it succeeded;
                          first: only before the first wave, later waves start by themselves
  --map <file>            the module's debug map (default: the .fwxmap.json of this exact
                          module beside the package, as fwx build and fwx pack leave it),
                          uploaded so the console names crash reports by source line

map: uploads debug maps on their own (a module already rolled out some other
way, or a map rebuilt later): the console then shows crash reports of that
exact module (matched by its SHA-256) with function names and file:line.

status options:
  --wait                  wait until the rollout is done, halted or cancelled
                          (exit 0 done, 3 halted, 5 cancelled)

exit codes:
  0  done (create: the rollout is recorded)
  1  internal error
  2  invalid input (the message names the option), or an action the rollout's state does not allow
  3  status --wait: the rollout halted
  4  the fleet service is unreachable
  5  status --wait: the rollout was cancelled

examples:
  fwx rollout create build/com.acme.alarm-1.3.0.fwx --target customer=acme-foods,group=cold-store-3 \\
      --waves 1,5%,25%,100% --max-failures 2% --rate 60/min
  fwx rollout status ro-1a2b3c4d --wait`;

class Unreachable extends Error {}

/** `--approve` alone means every wave; `--approve every|first` (or `--approve=…`) names the mode. */
function approveArgs(argv: string[]): string[] {
  return argv.flatMap((a, i) => (a === "--approve" && !(APPROVE_MODES as readonly string[]).includes(argv[i + 1] ?? "") ? ["--approve=every"] : [a]));
}

/**
 * The debug map of the package's module: the --map file (refused if it is not of exactly this module), else the
 * one of this module's SHA-256 beside the package or in its directory's build/ (as fwx build leaves it), else null.
 */
function debugMapFor(pkg: Uint8Array, pkgPath: string, mapPath: string | undefined): DebugMap | null {
  let sha: string;
  try {
    sha = Buffer.from(readPackageUnverified(pkg).payloadSha256).toString("hex");
  } catch (e) {
    throw new UsageError(`rollout: ${pkgPath}: not a package: ${(e as Error).message}`);
  }
  if (mapPath === undefined) return findDebugMap(sha, { near: [pkgPath], dirs: [dirname(pkgPath)] });
  let map: DebugMap;
  try {
    map = parseDebugMap(readInputText("rollout", `--map ${mapPath}`, mapPath), `--map ${mapPath}`);
  } catch (e) {
    if (e instanceof DebugMapError) throw new UsageError(`rollout: ${e.message}`);
    throw e;
  }
  if (map.wasmSha256 !== sha) throw new UsageError(`rollout: --map ${mapPath} describes module ${map.wasmSha256.slice(0, 12)}…, not this package's ${sha.slice(0, 12)}… (rebuilt since?)`);
  return map;
}

/** A kept-alive connection the service closed as the request went out: safe to send a read again on a new one. */
const RESET = /ECONNRESET|EPIPE|other side closed|socket hang up/;

function notAnswered(base: string, timeoutMs: number, method: string, path: string): Unreachable {
  const maybe = method === "GET" ? "" : " (it may still have done it: see fwx rollout status)";
  return new Unreachable(`fleet service ${base} did not answer ${method} ${path} within ${timeoutMs / 1000} s (--timeout)${maybe}`);
}

async function request(base: string, timeoutMs: number, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(new URL(path, base), {
        method, signal: AbortSignal.timeout(timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
      });
      break;
    } catch (e) {
      if ((e as Error).name === "TimeoutError") throw notAnswered(base, timeoutMs, method, path);
      const why = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
      // Only reads are sent again: a create or an action that reached the service must not happen twice.
      if (method === "GET" && attempt < 3 && RESET.test(why)) continue;
      throw new Unreachable(`fleet service ${base} is unreachable: ${why}`);
    }
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    if ((e as Error).name === "TimeoutError") throw notAnswered(base, timeoutMs, method, path);
    throw new Unreachable(`fleet service ${base}: the answer to ${method} ${path} broke off: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`fleet service ${base} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const msg = (json as { error?: string }).error ?? `HTTP ${res.status}`;
    if (res.status === 503 || res.status >= 500) throw new Unreachable(`fleet service: ${msg}`);
    throw new UsageError(`rollout: ${msg}`);
  }
  return json;
}

function bar(done: number, size: number, width = 20): string {
  const n = size ? Math.round((done / size) * width) : 0;
  return `[${"#".repeat(n)}${".".repeat(width - n)}]`;
}

export function formatRollout(r: RolloutView): string {
  const lines = [`${r.id}  ${r.module} ${r.version}  ${r.state.toUpperCase()}  ${r.devices} devices, max failures ${r.maxFailures} per wave`];
  if (r.haltReason) lines.push(`  halted: ${r.haltReason}`);
  if (r.awaitingWave !== null && r.awaitingWave !== undefined) lines.push(`  waiting for approval of wave ${r.awaitingWave + 1} (fwx rollout resume ${r.id}; --approve ${r.approve})`);
  for (const w of r.waves) {
    const c = w.counts;
    const failed = (c.reverted ?? 0) + (c.failed ?? 0) + (c.refused ?? 0) + (c["timed-out"] ?? 0);
    const done = (c.confirmed ?? 0) + failed;
    lines.push(`  wave ${w.index + 1}  ${bar(done, w.size)} ${done}/${w.size}  ${w.state}  confirmed ${c.confirmed ?? 0}, failed ${failed} (allowed ${w.allowedFailures}), under way ${c.sending ?? 0}${c.cancelled ? `, cancelled ${c.cancelled}` : ""}`);
  }
  return lines.join("\n");
}

const FINAL = new Set(["done", "halted", "cancelled"]);

export const command: Command = {
  name: "rollout",
  summary: "Create and steer staged rollouts on the fleet service",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: approveArgs(argv), allowPositionals: true,
      options: {
        fleet: { type: "string" }, json: { type: "boolean" }, target: { type: "string" }, waves: { type: "string" },
        "max-failures": { type: "string" }, "min-per-wave": { type: "string" }, rate: { type: "string" }, "max-concurrent": { type: "string" },
        approve: { type: "string" }, wait: { type: "boolean" }, map: { type: "string" }, timeout: { type: "string" },
      },
    });
    const [action, arg, ...extra] = positionals;
    if (!action) throw new UsageError("expected an action: create, status, pause, resume, cancel or map");
    if (extra.length && action !== "map") {
      // `--approve sometimes`: the word after --approve was not a mode, so it was taken as an argument.
      const after = argv[argv.indexOf(extra[0]!) - 1];
      if (after === "--approve") throw new UsageError(`--approve "${extra[0]}": expected every or first (or --approve alone, for every)`);
      throw new UsageError(`unexpected argument "${extra[0]}"`);
    }
    const base = values.fleet ?? process.env.FWX_FLEET ?? DEFAULT_FLEET;
    try {
      new URL(base);
    } catch {
      throw new UsageError(`--fleet "${base}" is not a URL (expected e.g. ${DEFAULT_FLEET})`);
    }
    const timeoutMs = (parseSeconds(values.timeout, "--timeout") ?? DEFAULT_TIMEOUT_S) * 1000;
    const call = (method: string, path: string, body?: unknown) => request(base, timeoutMs, method, path, body);
    const out = (v: unknown, text: string) => process.stdout.write(values.json ? JSON.stringify(v) + "\n" : text + "\n");
    const posInt = (name: "min-per-wave" | "max-concurrent") => {
      const v = values[name];
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} "${v}" must be a positive integer`);
      return n;
    };
    try {
      if (action === "create") {
        if (!arg) throw new UsageError("create: expected the package file");
        if (!values.target) throw new UsageError(`create: --target is required (${TARGET_HELP.replace(/\s+/g, " ")})`);
        // Checked here first so a typo is reported before the package is uploaded, in the same words the service uses.
        parseTarget(values.target);
        parseWaves(values.waves ?? "100%");
        parseMaxFailures(values["max-failures"] ?? "0");
        if (values.rate !== undefined) parseRate(values.rate);
        const approve = values.approve ?? "none";
        if (!(APPROVE_MODES as readonly string[]).includes(approve)) throw new UsageError(`--approve "${approve}": expected every or first`);
        const pkg = readInputFile("rollout", arg, arg);
        const map = debugMapFor(pkg, arg, values.map);
        // The map first: a device that faults on the first wave is named as soon as its report arrives.
        if (map) await call("POST", "/api/debug-maps", { map });
        const r = await call("POST", "/api/rollouts", {
          package: pkg.toString("base64"), target: values.target, waves: values.waves ?? "100%", maxFailures: values["max-failures"] ?? "0",
          minPerWave: posInt("min-per-wave"), maxConcurrent: posInt("max-concurrent"), rate: values.rate, approve,
        }) as RolloutView;
        const mapNote = map ? `debug map ${map.wasmSha256.slice(0, 12)} uploaded: crash reports name source lines`
          : `no debug map of this module beside ${arg}: crash reports will show module offsets only (fwx rollout map <file.fwxmap.json> adds one later)`;
        out(r, `created ${formatRollout(r)}\n${mapNote}`);
        return EXIT.ok;
      }
      if (action === "status") {
        if (!arg) {
          const list = await call("GET", "/api/rollouts") as RolloutView[];
          out(list, list.length ? list.map(formatRollout).join("\n") : "no rollouts");
          return EXIT.ok;
        }
        const path = `/api/rollouts/${encodeURIComponent(arg)}`;
        for (;;) {
          // Polls leave out the per-device rows (as many as the rollout has devices); the answer printed has them.
          let r = await call("GET", values.wait ? `${path}?targets=none` : path) as RolloutView;
          if (!values.wait || FINAL.has(r.state)) {
            if (values.wait) r = await call("GET", path) as RolloutView;
            out(r, formatRollout(r));
            if (!values.wait) return EXIT.ok;
            return r.state === "done" ? EXIT.ok : r.state === "halted" ? 3 : 5;
          }
          await new Promise((res) => setTimeout(res, 500));
        }
      }
      if (action === "map") {
        const files = positionals.slice(1);
        if (!files.length) throw new UsageError("map: expected one or more .fwxmap.json files");
        const maps = files.map((f) => {
          try {
            return { f, map: parseDebugMap(readInputText("rollout", f, f), f) };
          } catch (e) {
            if (e instanceof DebugMapError) throw new UsageError(`rollout: ${e.message}`);
            throw e;
          }
        });
        const done: unknown[] = [];
        for (const { f, map } of maps) {
          const r = await call("POST", "/api/debug-maps", { map }) as { wasmSha256: string; module: string | null; version: string | null };
          done.push(r);
          if (!values.json) process.stdout.write(`${f}: debug map of ${r.module ? `${r.module} ${r.version ?? ""}`.trim() : "a module"} (${r.wasmSha256.slice(0, 12)}) uploaded\n`);
        }
        if (values.json) process.stdout.write(JSON.stringify(done) + "\n");
        return EXIT.ok;
      }
      if (action === "pause" || action === "resume" || action === "cancel") {
        if (!arg) throw new UsageError(`${action}: expected a rollout id`);
        const r = await call("POST", `/api/rollouts/${encodeURIComponent(arg)}/${action}`) as RolloutView;
        out(r, formatRollout(r));
        return EXIT.ok;
      }
      throw new UsageError(`unknown action "${action}" (create, status, pause, resume, cancel, map)`);
    } catch (e) {
      if (e instanceof PlanError) throw new UsageError(e.message);
      if (e instanceof Unreachable) {
        process.stderr.write(`fwx: rollout: ${e.message}\n`);
        return 4;
      }
      throw e;
    }
  },
};
