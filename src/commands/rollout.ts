import { parseArgs } from "node:util";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { readInputFile } from "../cli/files.js";
import { parseMaxFailures, parseRate, parseTarget, parseWaves, PlanError, TARGET_HELP } from "../fleet/rollout-plan.js";
import type { RolloutView } from "../fleet/rollouts.js";

const DEFAULT_FLEET = "http://127.0.0.1:8470";

const help = `usage: fwx rollout create <package.fwx> --target <filter> [--waves 1,5%,25%,100%]
                          [--max-failures 2%] [--min-per-wave N] [--rate N/min]
                          [--max-concurrent N] [--approve]
       fwx rollout status [<id>] [--wait]
       fwx rollout pause|resume|cancel <id>
       (all: [--fleet ${DEFAULT_FLEET}] [--json])

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

create options:
  --target <filter>       ${TARGET_HELP}
  --waves <list>          cumulative wave ends: device counts or percentages of the
                          targeted devices (default 100%: one wave)
  --max-failures <n|p%>   failures a wave may have, a count or a percentage of the
                          wave (default 0: the first failure halts)
  --min-per-wave <n>      every wave has at least this many devices (default 1)
  --rate <n>/min          start at most n transfers a minute (default: no limit)
  --max-concurrent <n>    transfers under way at once (default 50)
  --approve               wait for approval: nothing starts until \`fwx rollout resume <id>\`

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

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}) });
  } catch (e) {
    throw new Unreachable(`fleet service ${base} is unreachable: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`);
  }
  const text = await res.text();
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
      args: argv, allowPositionals: true,
      options: {
        fleet: { type: "string" }, json: { type: "boolean" }, target: { type: "string" }, waves: { type: "string" },
        "max-failures": { type: "string" }, "min-per-wave": { type: "string" }, rate: { type: "string" }, "max-concurrent": { type: "string" },
        approve: { type: "boolean" }, wait: { type: "boolean" },
      },
    });
    const [action, arg, ...extra] = positionals;
    if (!action) throw new UsageError("expected an action: create, status, pause, resume or cancel");
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const base = values.fleet ?? process.env.FWX_FLEET ?? DEFAULT_FLEET;
    try {
      new URL(base);
    } catch {
      throw new UsageError(`--fleet "${base}" is not a URL (expected e.g. ${DEFAULT_FLEET})`);
    }
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
        const pkg = readInputFile("rollout", arg, arg);
        const r = await call(base, "POST", "/api/rollouts", {
          package: pkg.toString("base64"), target: values.target, waves: values.waves ?? "100%", maxFailures: values["max-failures"] ?? "0",
          minPerWave: posInt("min-per-wave"), maxConcurrent: posInt("max-concurrent"), rate: values.rate, approve: !!values.approve,
        }) as RolloutView;
        out(r, `created ${formatRollout(r)}${r.state === "awaiting-approval" ? `\nwaiting for approval: fwx rollout resume ${r.id}` : ""}`);
        return EXIT.ok;
      }
      if (action === "status") {
        if (!arg) {
          const list = await call(base, "GET", "/api/rollouts") as RolloutView[];
          out(list, list.length ? list.map(formatRollout).join("\n") : "no rollouts");
          return EXIT.ok;
        }
        for (;;) {
          const r = await call(base, "GET", `/api/rollouts/${encodeURIComponent(arg)}`) as RolloutView;
          if (!values.wait || FINAL.has(r.state)) {
            out(r, formatRollout(r));
            if (!values.wait) return EXIT.ok;
            return r.state === "done" ? EXIT.ok : r.state === "halted" ? 3 : 5;
          }
          await new Promise((res) => setTimeout(res, 500));
        }
      }
      if (action === "pause" || action === "resume" || action === "cancel") {
        if (!arg) throw new UsageError(`${action}: expected a rollout id`);
        const r = await call(base, "POST", `/api/rollouts/${encodeURIComponent(arg)}/${action}`) as RolloutView;
        out(r, formatRollout(r));
        return EXIT.ok;
      }
      throw new UsageError(`unknown action "${action}" (create, status, pause, resume, cancel)`);
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
