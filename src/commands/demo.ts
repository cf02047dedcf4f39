import { parseArgs } from "node:util";
import { basename } from "node:path";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { loadModule, type LoadedModule } from "../agent/load.js";
import { ModuleRefused } from "../agent/prepare.js";
import { runSimulation } from "../agent/simulate.js";
import { eventToJson, eventToLine, type LoggedEvent } from "../agent/event-log.js";
import { formatCrashReport, formatTime } from "../agent/faults.js";
import { defaultBoardPath, loadBoardFile } from "../sim/board.js";
import { findExamplesDir, listExamples } from "../demo/examples.js";
import { isNotable, tally } from "../demo/story.js";
import { parseDuration } from "./run.js";

const HELP = `usage: fwx demo [--duration 24h] [--full] [--json]

The main job, run by \`npm start\`: builds every example module under
examples/, runs them together on the bundled demo board ("fwx-demo") against
its day-long sensor trace (a cold room whose door is left open in the
afternoon, a pump whose vibration rises, an energy meter on Modbus RTU) on the
virtual clock, and prints the timeline of what mattered and a summary per
module: telemetry, alarms, outputs switched, warnings, faults, fuel and memory.

options:
  --duration <d>  device time to simulate (default 24h; e.g. 90m, 6h)
  --full          print every event, not only alarms, outputs, warnings and faults
  --json          print every event as a JSON line, then the summary as JSON

exit codes: 0 ran to the end without a fault, 3 a module faulted,
            2 an example did not build or was refused, 1 internal error`;

export const command: Command = {
  name: "demo",
  summary: "The main job: build the examples and run them on the demo board (npm start)",
  help: HELP,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { duration: { type: "string" }, full: { type: "boolean" }, json: { type: "boolean" } } }));
    } catch (e) {
      throw new UsageError(`demo: ${(e as Error).message}\n\n${HELP}`);
    }
    const durationUs = parseDuration(values.duration ?? "24h");
    const say = (line: string) => { if (!values.json) process.stdout.write(line + "\n"); };

    const dirs = listExamples(findExamplesDir());
    say(`fwx demo: building ${dirs.length} example modules`);
    const loaded: LoadedModule[] = [];
    for (const dir of dirs) {
      try {
        const m = await loadModule(dir);
        loaded.push(m);
        say(`  built  ${basename(dir).padEnd(22)} ${m.id}  ${m.bytes.length} B`);
      } catch (e) {
        if (e instanceof ModuleRefused) {
          process.stderr.write(`fwx demo: ${basename(dir)} did not build:\n${e.message}\n`);
          return EXIT.invalid;
        }
        throw e;
      }
    }

    const board = loadBoardFile(defaultBoardPath());
    const width = Math.max(...loaded.map((m) => shortId(m.id).length));
    say(`\nrunning them together on board "${board.profile.name}" for ${formatTime(durationUs)} of device time${values.full ? "" : " (alarms, outputs, warnings, faults; --full for everything)"}`);
    const started = process.hrtime.bigint();
    const result = await runSimulation({
      board, durationUs, speed: "max",
      modules: loaded.map((m) => ({ id: m.id, bytes: m.bytes, source: m.source, requested: m.requested ?? {}, config: m.config, ...(m.ramBudgetBytes ? { ramBudgetBytes: m.ramBudgetBytes } : {}) })),
      onEvent: (e: LoggedEvent) => {
        if (values.json) process.stdout.write(eventToJson(e) + "\n");
        else if (values.full || isNotable(e)) say(eventToLine({ ...e, module: shortId(e.module) }, width));
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
        warnings: t.warnings, faults: m.faults, restarts: m.restarts, fuelLastCallback: m.fuelUsedLast, memoryHighWaterBytes: m.memoryHighWaterBytes,
      };
    });
    if (values.json) {
      process.stdout.write(JSON.stringify({ summary: { deviceTime: formatTime(result.summary.endUs), wallMs: Math.round(wallMs), events: result.summary.events, modules: rows } }) + "\n");
    } else {
      say(`\nsummary: ${formatTime(result.summary.endUs)} of device time in ${(wallMs / 1000).toFixed(1)} s, ${result.summary.events} events`);
      const header = ["module", "state", "telemetry", "alarms", "outputs switched", "warnings", "faults", "fuel (last callback)", "memory high-water"];
      const table = rows.map((r) => [r.module, r.state, r.telemetry, r.alarms, r.outputsSwitched, r.warnings, r.faults, r.fuelLastCallback ?? "-", `${r.memoryHighWaterBytes} B`].map(String));
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

