import { parseArgs } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { loadModule, type LoadedModule } from "../agent/load.js";
import type { Capabilities } from "../caps/capabilities.js";
import { ModuleRefused } from "../agent/prepare.js";
import { runSimulation } from "../agent/simulate.js";
import { eventToJson, eventToLine, type LoggedEvent } from "../agent/event-log.js";
import { formatCrashReport, formatTime } from "../agent/faults.js";
import { defaultBoardPath, loadBoardFile } from "../sim/board.js";
import { findExamplesDir, listExamples } from "../demo/examples.js";
import { isNotable, tally } from "../demo/story.js";
import { createEventFilter } from "../agent/event-filter.js";
import { DEMO_CUSTOMER, DEMO_GROUP, flashToDemoGateway, signExamples, type DemoPackage } from "../demo/ota-demo.js";
import type { FlashProgress } from "../ota/api.js";
import { parseDuration } from "./run.js";
import { preparedCacheDir } from "../agent/prepared-cache.js";

const HELP = `usage: fwx demo [--duration 24h] [--no-ota] [--full] [--json]

The main job, run by \`npm start\`, in three steps:
  1. builds every example module under examples/ and signs it with a
     throwaway product root and integrator certificate;
  2. starts the embedded MQTT broker and a simulated gateway that trusts that
     root, and flashes each package over the air with progress; the gateway
     verifies it, installs it into a slot, runs it in trial and confirms it
     after its health window;
  3. runs the confirmed modules together on the demo board ("fwx-demo")
     against its day-long sensor trace (a cold room whose door is left open in
     the afternoon, a pump whose vibration rises, an energy meter on Modbus
     RTU) on the virtual clock, and prints the timeline of what mattered and a
     summary per module: telemetry, alarms, outputs switched, warnings,
     faults, fuel and memory.

options:
  --duration <d>  device time to simulate in step 3 (default 24h; e.g. 90m, 6h)
  --no-ota        skip step 2: build the examples and run them directly
  --full          print every event, not only alarms, outputs, warnings and faults
  --json          print every event as a JSON line, then the summary as JSON

exit codes:
  0  ran to the end without a fault
  1  internal error
  2  an example did not build or was refused
  3  a module faulted or the gateway reverted an update

example:
  fwx demo --duration 6h --no-ota`;

export const command: Command = {
  name: "demo",
  summary: "The main job: build the examples and run them on the demo board (npm start)",
  help: HELP,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { duration: { type: "string" }, "no-ota": { type: "boolean" }, full: { type: "boolean" }, json: { type: "boolean" } } }));
    } catch (e) {
      throw new UsageError(`demo: ${(e as Error).message}\n\n${HELP}`);
    }
    const durationUs = parseDuration(values.duration ?? "24h", "demo");
    const say = (line: string) => { if (!values.json) process.stdout.write(line + "\n"); };

    const dirs = listExamples(findExamplesDir());
    const board = loadBoardFile(defaultBoardPath());
    let loaded: LoadedModule[];
    try {
      loaded = values["no-ota"] ? await buildDirect(dirs, say) : await deliverOverTheAir(dirs, board.profile.grantable, say, !values.json);
    } catch (e) {
      if (e instanceof ModuleRefused) {
        process.stderr.write(`fwx: demo: ${e.message}\n`);
        return EXIT.invalid;
      }
      if (e instanceof UpdateReverted) {
        process.stderr.write(`fwx: demo: ${e.message}\n`);
        return 3;
      }
      throw e;
    }

    const width = Math.max(...loaded.map((m) => shortId(m.id).length));
    say(`\n${values["no-ota"] ? "running them" : "running the confirmed modules"} together on board "${board.profile.name}" for ${formatTime(durationUs)} of device time${values.full ? "" : " (alarms, outputs, warnings, faults; --full for everything)"}`);
    // The same filter as fwx run's default view, with only alarm telemetry; --full shows everything.
    const shown = values.full ? createEventFilter({ everything: true }) : isNotable;
    const started = process.hrtime.bigint();
    const result = await runSimulation({
      board, durationUs, speed: "max", preparedCacheDir: preparedCacheDir(),
      modules: loaded.map((m) => ({ id: m.id, bytes: m.bytes, source: m.source, requested: m.requested ?? {}, config: m.config, ...(m.ramBudgetBytes ? { ramBudgetBytes: m.ramBudgetBytes } : {}) })),
      onEvent: (e: LoggedEvent) => {
        if (values.json) process.stdout.write(eventToJson(e) + "\n");
        else if (shown(e)) say(eventToLine({ ...e, module: shortId(e.module) }, width));
      },
    }).catch((e: unknown) => {
      if (e instanceof ModuleRefused) throw new UsageError(`demo: ${e.message}`);
      throw e;
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;

    const counts = tally(result.events);
    const rows = result.summary.modules.map((m) => {
      const t = counts.get(m.id) ?? { telemetry: 0, alerts: 0, outputsSwitched: 0, warnings: 0, faults: 0 };
      return {
        module: shortId(m.id), state: m.state, telemetry: t.telemetry, alarms: t.alerts, outputsSwitched: t.outputsSwitched,
        warnings: t.warnings, faults: m.faults, restarts: m.restarts, fuelUsed: m.fuelUsedTotal, memoryPages: m.memoryHighWaterBytes / 65536,
      };
    });
    if (values.json) {
      process.stdout.write(JSON.stringify({ summary: { deviceTime: formatTime(result.summary.endUs), wallMs: Math.round(wallMs), events: result.summary.events, modules: rows } }) + "\n");
    } else {
      say(`\nsummary: ${formatTime(result.summary.endUs)} of device time in ${(wallMs / 1000).toFixed(1)} s, ${result.summary.events} events`);
      const header = ["module", "state", "telemetry", "alarms", "outputs switched", "warnings", "faults", "fuel used", "memory (64 KiB pages)"];
      const table = rows.map((r) => [r.module, r.state, r.telemetry, r.alarms, r.outputsSwitched, r.warnings, r.faults, r.fuelUsed.toLocaleString("en-US"), r.memoryPages].map(String));
      const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
      say("  " + header.map((h, i) => h.padEnd(widths[i]!)).join("  "));
      for (const row of table) say("  " + row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
      for (const f of result.faults) say(`\n${formatCrashReport(f)}`);
    }
    return result.faults.length ? 3 : EXIT.ok;
  },
};

/** "com.example.cold-chain-alarm" → "cold-chain-alarm": the timeline's module column. */
function shortId(id: string): string {
  return id.split(".").pop() ?? id;
}


class UpdateReverted extends Error {}

async function buildDirect(dirs: readonly string[], say: (line: string) => void): Promise<LoadedModule[]> {
  say(`fwx demo: building ${dirs.length} example modules`);
  const loaded: LoadedModule[] = [];
  for (const dir of dirs) {
    const m = await loadModule(dir);
    loaded.push(m);
    say(`  built  ${basename(dir).padEnd(22)} ${m.id}  ${m.bytes.length} B`);
  }
  return loaded;
}

/** Steps 1 and 2; returns the packages the gateway confirmed, verified again against the demo root. */
async function deliverOverTheAir(dirs: readonly string[], grantable: Capabilities, say: (line: string) => void, interactive: boolean): Promise<LoadedModule[]> {
  say(`fwx demo: building and signing ${dirs.length} example modules (throwaway product root and integrator key)`);
  const signed = await signExamples(dirs, grantable);
  const width = Math.max(...signed.packages.map((p) => shortId(p.id).length));
  for (const p of signed.packages) {
    say(`  packed   ${shortId(p.id).padEnd(width)}  ${p.version}  payload ${p.payloadBytes} B + ${p.bytes.length - p.payloadBytes} B header, manifest, certificate and signatures`);
  }
  const tty = interactive && process.stdout.isTTY === true;
  let lastLine = "";
  const progress = (pkg: DemoPackage, p: FlashProgress) => {
    if (!interactive) return;
    const line = `  flashing ${shortId(pkg.id).padEnd(width)}  ${progressText(p)}`;
    if (tty) process.stdout.write(`\r${line.padEnd(lastLine.length)}`);
    else if (p.phase === "transferring" && p.acked === 0) say(line);
    lastLine = line;
  };
  const reports = await flashToDemoGateway(signed, progress, (url, device) =>
    say(`\nover the air: embedded MQTT broker at ${url}, simulated gateway "${device}" (customer ${DEMO_CUSTOMER}, group ${DEMO_GROUP})`));
  if (tty) process.stdout.write("\r" + " ".repeat(lastLine.length) + "\r");
  const dir = mkdtempSync(join(tmpdir(), "fwx-demo-"));
  try {
    const loaded: LoadedModule[] = [];
    for (const { pkg, result, seconds } of reports) {
      const wire = `${result.packageBytes} B ${result.mode}, ${result.sentBytes} B sent in ${seconds.toFixed(1)} s`;
      say(`  ${result.verdict.padEnd(9)} ${shortId(pkg.id).padEnd(width)}  ${pkg.version}  (${wire}): ${result.reason}`);
      if (result.verdict !== "confirmed") throw new UpdateReverted(`the gateway did not confirm ${pkg.id}: ${result.verdict}: ${result.reason}`);
      const file = join(dir, `${shortId(pkg.id)}.fwx`);
      writeFileSync(file, pkg.bytes);
      loaded.push(await loadModule(file, {
        rootPublicKey: signed.rootPublicKey,
        device: { customer: DEMO_CUSTOMER, group: DEMO_GROUP, deviceClass: "gateway", capabilities: grantable },
      }));
    }
    return loaded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function progressText(p: FlashProgress): string {
  if (p.phase !== "transferring") return p.step ? `${p.phase}: ${p.step}` : p.phase;
  const pct = p.total ? Math.floor((p.acked / p.total) * 100) : 0;
  const bar = "#".repeat(Math.floor(pct / 5)).padEnd(20, ".");
  const eta = p.etaSeconds === null ? "" : `  ETA ${p.etaSeconds.toFixed(0)} s`;
  return `[${bar}] ${pct}%  ${p.acked}/${p.total} B ${p.mode}  ${(p.rate / 1024).toFixed(1)} KiB/s${eta}`;
}
