import { statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkOutputDirectory, checkOutputFile, describeFileError, readInputFile, readInputText } from "../cli/files.js";
import { checkConfigValues, ConfigValueError } from "../ota/config-values.js";
import { EXIT, UsageError, type Command } from "../cli/command.js";
import { capabilityExcess, type Capabilities } from "../caps/capabilities.js";
import { BoardProfileError, TraceError } from "../sim/errors.js";
import { defaultBoardPath, loadBoardFile, type Board } from "../sim/board.js";
import { parseTraceCsv } from "../sim/trace.js";
import { linuxConnectors, linuxHardware } from "../linux/index.js";
import { DeviceFileError } from "../linux/device-file.js";
import { applyDeviceOverrides, attributeToOption, DeviceOverrideError, parseDeviceOverride, type DeviceOverride } from "../linux/dev-override.js";
import { parsePublicKey } from "../pkg/keys.js";
import { writeFileDurable } from "../fs/durable.js";
import { loadModule, parseGrant, mergeCapabilities, GrantSyntaxError, type LoadedModule } from "../agent/load.js";
import { ModuleRefused } from "../agent/refusal.js";
import { KvStoreError } from "../agent/host/kv.js";
import { runSimulation } from "../agent/simulate.js";
import { eventToJson, eventToLine, type LoggedEvent } from "../agent/event-log.js";
import { formatTime, withAbortSite } from "../agent/faults.js";
import { LOG_LEVEL_NAMES } from "../agent/host/core.js";
import { createEventFilter, EVENT_KINDS, parseEventKinds, UnknownEventKind, type EventKind, type LogLevelName } from "../agent/event-filter.js";
import { MAX_FUEL, type ModuleSpec } from "../agent/runtime.js";
import { nextChange, watchTargets } from "../cli/watch.js";
import { DebugMapError, parseDebugMap } from "../build/debug-map.js";
import { preparedCacheDir } from "../agent/prepared-cache.js";

const HELP = `usage: fwx run <module.wasm|project-dir|package.fwx>... [options]

Runs one or more modules on a simulated board, on a virtual clock, and prints
what happens as a timeline (logs, GPIO/PWM changes, bus traffic, telemetry,
faults). Project directories are built in memory from their fwx.json;
packages are verified when --root is given. Runs are deterministic: the same
modules, board, trace, config and seed give the same event log.

options:
  --board <profile.json>   board profile (default: the bundled demo board and its trace)
  --trace <file.csv>       sensor/input trace: its columns replace the profile's own,
                           the other columns keep the profile's rows
  --duration <time>        device time to simulate, with its unit: 90s, 10m, 2h,
                           500ms (default 10m)
  --speed max|1x|<N>x      max: as fast as possible (default); 1x: real time
                           (a board with hardware connectors always runs at 1x)
  --dev <connector>=<path> serve a connector from a device file on this machine
                           (repeatable): uart1=/dev/ttyUSB0, rs485=/dev/serial0,
                           i2c1=/dev/i2c-1; names the connector by kind and
                           number or by its name in the profile
  --config [module:]key=value   set a config value (repeatable; name the module when
                           running several)
  --grant [module:]cap     grant a capability on top of the manifest (repeatable):
                           timers:4  kv:1024  sensor:cold_room  gpio:5:output
                           adc:0  pwm:1  uart:1  i2c:0:0x48  spi:0:1  telemetry:alarms/#
  --fuel <N>               fuel per callback for every module (default: a package's own
                           budget; for a project or a .wasm 1000000, what fwx pack gives it)
  --seed <N>               noise seed (default: the profile's)
  --record <file.fwxrec>   record every host call and delivery for fwx replay
                           (its directory must exist; checked before the run)
  --root <root.pub>        verify packages against this product root key
  --customer <c>, --group <g>  with --root: the simulated device's customer and group,
                           checked against each package's certificate as that device
                           would (default: the certificate's own first customer and group)
  --map <file.fwxmap.json> a debug map for crash reports (repeatable); without it
                           the map is found beside each module or package and in
                           ./build, by the module's hash (docs/debug-maps.md)
  --state-dir <dir>        keep module KV stores there (default: in memory)
  --show <kinds>           also print every event of these kinds (comma list)
  --hide <kinds>           never print events of these kinds (comma list)
  --log-level <level>      lowest module log level printed: debug|info|warn|error
                           (default warn)
  --json                   print events as JSON lines (every event unless --show,
                           --hide or --log-level narrow it)
  --watch                  after the run, wait for a save to a project's sources,
                           fwx.json or trace (or to a named .wasm/.fwx) and run
                           again, rebuilding in this process (a warm compiler:
                           well under a second for an example); a build that
                           fails prints its errors and waits for the next save
  -h, --help               show this help

What is printed: by default the story of the run (lifecycle, faults, the first
refused call of each kind, warnings and errors, telemetry, outputs switched and
input edges), not the bus traffic of every sample. Event kinds for --show and
--hide: ${EVENT_KINDS.join(", ")}. The summary line counts every event.

Real hardware: connectors a profile hands to Linux ("backend": {"linux": ...},
or --dev) are served from their device files, and the run is on the wall
clock: a real device answers when it answers, so it cannot be simulated
ahead of time. --speed other than 1x is refused then, and the output is not
deterministic. A missing device file or a permission problem is refused
before anything runs, naming the connector, the path and the group needed.

A bare .wasm without a manifest and without --grant is granted everything the
board can grant (with a warning), so any valid module runs with no setup.

Each module is validated, instrumented for fuel and capped in memory before
it runs; the result is kept in ~/.cache/fwx/prepared ($XDG_CACHE_HOME/fwx/prepared,
or $FWX_CACHE_DIR/prepared), so running an unchanged module again skips that
step. FWX_PREPARE_CACHE=0 turns it off.

exit codes:
  0  ran to the end without a fault
  1  internal error
  2  invalid input (module refused, bad profile, trace, option)
  3  a module faulted (crash report printed)

example:
  fwx run examples/cold-chain-alarm --duration 30m
  fwx run build/alarm.wasm --grant gpio:5:output --config threshold_c=6 --json
  fwx run examples/pump-vibration --show i2c --log-level info
  fwx run . --watch --duration 30m
  fwx run examples/modbus-energy-meter --dev uart1=/dev/ttyUSB0 --duration 2m`;

/** `--duration` text → microseconds. A unit is required: a bare "10" could mean seconds or minutes. */
export function parseDuration(text: string, command = "run"): bigint {
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${command}: --duration ${text}: expected a time with its unit, like 90s, 10m, 2h or 500ms`);
  if (m[2] === undefined) throw new UsageError(`${command}: --duration ${text}: give a unit: ${m[1]}ms, ${m[1]}s, ${m[1]}m or ${m[1]}h`);
  const us = Math.round(Number(m[1]) * { ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 }[m[2] as "ms" | "s" | "m" | "h"]);
  if (!(us > 0)) throw new UsageError(`${command}: --duration ${text}: must be a positive time, like 90s or 10m`);
  return BigInt(us);
}

function parseSpeed(text: string): "max" | number {
  if (text === "max") return "max";
  const m = /^(\d+(?:\.\d+)?)x$/.exec(text);
  if (!m || Number(m[1]) <= 0) throw new UsageError(`run: --speed ${text}: expected max, 1x or another positive factor like 10x`);
  return Number(m[1]);
}

/** `[module:]key=value` → the module it names (by id, or the id's last dot-part), or the only one. */
function target(mods: LoadedModule[], name: string | null, what: string): LoadedModule {
  if (name === null) {
    if (mods.length === 1) return mods[0]!;
    throw new UsageError(`run: ${what}: several modules are running; prefix it with the module (${mods.map((m) => m.id).join(", ")})`);
  }
  const m = mods.find((x) => x.id === name || x.id.split(".").pop() === name);
  if (!m) throw new UsageError(`run: ${what}: no module "${name}" (running: ${mods.map((x) => x.id).join(", ")})`);
  return m;
}

function loadBoard(values: { board?: string; trace?: string; seed?: string; dev?: string[] }): Board {
  const seed = values.seed !== undefined ? Number(values.seed) : undefined;
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`run: --seed ${values.seed}: expected an integer`);
  const trace = values.trace ? readInputText("run", `--trace ${values.trace}`, values.trace) : undefined;
  // loadBoardFile reads the profile itself; a missing or unreadable one is reported like every other input.
  if (values.board) readInputFile("run", `--board ${values.board}`, values.board);
  let devices: DeviceOverride[] = [];
  try {
    const parsedTrace = trace !== undefined ? parseTraceCsv(trace, values.trace!) : undefined;
    devices = (values.dev ?? []).map(parseDeviceOverride);
    return loadBoardFile(values.board ?? defaultBoardPath(), {
      ...(parsedTrace ? { trace: parsedTrace } : {}), ...(seed !== undefined ? { seed } : {}),
      hardware: linuxHardware(), override: (json, source) => applyDeviceOverrides(json, devices, source),
    });
  } catch (e) {
    if (e instanceof BoardProfileError || e instanceof TraceError || e instanceof DeviceFileError || e instanceof DeviceOverrideError) throw new UsageError(`run: ${attributeToOption(e.message, devices)}`);
    if (/^E[A-Z]+$/.test(String((e as NodeJS.ErrnoException).code))) throw new UsageError(`run: ${values.board ?? defaultBoardPath()}: ${describeFileError(e)}`);
    throw e;
  }
}

/** --show, --hide and --log-level → the printer's filter (src/agent/event-filter.ts, shared with fwx demo). */
function eventFilter(values: { show?: string[]; hide?: string[]; "log-level"?: string; json?: boolean }): (e: LoggedEvent) => boolean {
  const kinds = (option: string, texts: string[] | undefined): EventKind[] => {
    try {
      return (texts ?? []).flatMap((t) => parseEventKinds(option, t));
    } catch (e) {
      if (e instanceof UnknownEventKind) throw new UsageError(`run: ${e.message}`);
      throw e;
    }
  };
  const show = kinds("--show", values.show), hide = kinds("--hide", values.hide);
  // Which one wins would be a guess: a kind asked for both ways is refused like any other contradiction.
  const both = show.filter((k) => hide.includes(k));
  if (both.length) throw new UsageError(`run: --show and --hide both name ${[...new Set(both)].join(", ")}: show a kind or hide it, not both`);
  const logLevel = values["log-level"];
  if (logLevel !== undefined && !(LOG_LEVEL_NAMES as readonly string[]).includes(logLevel)) {
    throw new UsageError(`run: --log-level ${logLevel}: expected ${LOG_LEVEL_NAMES.join(", ")}`);
  }
  // A program reading --json gets every event unless it asked for less.
  const everything = values.json === true && !show.length && !hide.length && logLevel === undefined;
  return createEventFilter({ show, hide, everything, ...(logLevel !== undefined ? { logLevel: logLevel as LogLevelName } : {}) });
}

export const command: Command = {
  name: "run",
  summary: "Run modules or packages on the simulated board",
  help: HELP,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv, allowPositionals: true,
        options: {
          board: { type: "string" }, trace: { type: "string" }, duration: { type: "string" }, speed: { type: "string" },
          config: { type: "string", multiple: true }, grant: { type: "string", multiple: true }, customer: { type: "string" }, group: { type: "string" },
          fuel: { type: "string" }, seed: { type: "string" }, record: { type: "string" }, root: { type: "string" },
          "state-dir": { type: "string" }, "log-level": { type: "string" }, json: { type: "boolean" },
          show: { type: "string", multiple: true }, hide: { type: "string", multiple: true }, dev: { type: "string", multiple: true },
          watch: { type: "boolean" }, map: { type: "string", multiple: true },
        },
      });
    } catch (e) {
      throw new UsageError(`run: ${(e as Error).message}\n\n${HELP}`);
    }
    const { values, positionals } = parsed;
    if (!positionals.length) throw new UsageError(`run: name at least one module\n\n${HELP}`);
    // Outputs first: a bad --record path must not cost a whole simulation.
    if (values.record !== undefined) checkOutputFile("run", `--record ${values.record}`, values.record);
    if (values["state-dir"] !== undefined) checkOutputDirectory("run", `--state-dir ${values["state-dir"]}`, values["state-dir"]);
    // A map named must be a readable debug map: said now, not silently passed over at the first fault.
    for (const f of values.map ?? []) {
      try {
        parseDebugMap(readInputText("run", `--map ${f}`, f), `--map ${f}`);
      } catch (e) {
        if (e instanceof DebugMapError) throw new UsageError(`run: ${e.message}`);
        throw e;
      }
    }
    const durationUs = parseDuration(values.duration ?? "10m");
    let speed: "max" | number | "real-time" = parseSpeed(values.speed ?? "max");
    let fuel: bigint | undefined;
    if (values.fuel !== undefined) {
      if (!/^\d+$/.test(values.fuel) || BigInt(values.fuel) === 0n || BigInt(values.fuel) > MAX_FUEL) {
        throw new UsageError(`run: --fuel ${values.fuel}: expected a positive integer up to ${MAX_FUEL} (the fuel counter is a signed 64-bit integer)`);
      }
      fuel = BigInt(values.fuel);
    }
    const shown = eventFilter(values);
    const narrowed = values.show !== undefined || values.hide !== undefined || values["log-level"] !== undefined;
    // `fwx run … | head` closes stdout early: src/cli.ts ends the process quietly on that EPIPE.
    const out = (line: string) => process.stdout.write(line + "\n");
    const note = (line: string) => process.stderr.write(line + "\n");

    /** One run: the board is loaded afresh (a run advances its clock and state), the modules built or read. */
    const once = async (): Promise<number> => {
      const board = loadBoard(values);
      const hardware = linuxConnectors(board.profile);
      if (hardware.length) {
        // A real device cannot be run ahead of the wall clock (or held back behind it).
        if (values.speed !== undefined && speed !== 1) throw new UsageError(`run: --speed ${values.speed}: the board serves ${hardware.join(", ")} from real hardware, which runs on the wall clock only; leave --speed out or give 1x`);
        speed = "real-time";
      }
      let rootPublicKey: Uint8Array | undefined;
      // They scope the signature check, which only --root turns on: alone they would be ignored.
      if ((values.customer !== undefined || values.group !== undefined) && !values.root) {
        throw new UsageError(`run: ${values.customer !== undefined ? "--customer" : "--group"} needs --root: the device's scope is checked when a package is verified`);
      }
      if (values.root) {
        const text = readInputFile("run", `--root ${values.root}`, values.root);
        try {
          rootPublicKey = parsePublicKey(text);
        } catch (e) {
          throw new UsageError(`run: --root ${values.root}: ${(e as Error).message}`);
        }
      }
      try {
        const loaded: LoadedModule[] = [];
        for (const p of positionals) loaded.push(await loadModule(p, { ...(rootPublicKey ? { rootPublicKey } : {}), debugMaps: values.map ?? [], device: { ...(values.customer ? { customer: values.customer } : {}), ...(values.group ? { group: values.group } : {}), deviceClass: "gateway", capabilities: board.profile.grantable } }));
        const grants = new Map<LoadedModule, Capabilities>();
        for (const g of values.grant ?? []) {
          let parsedGrant;
          try {
            parsedGrant = parseGrant(g);
          } catch (e) {
            if (e instanceof GrantSyntaxError) throw new UsageError(`run: ${e.message}`);
            throw e;
          }
          const m = target(loaded, parsedGrant.module, `--grant ${g}`);
          // What the board cannot grant is refused here, naming the option that asked for it; the
          // runtime's own check below would only name the module's source.
          const beyond = capabilityExcess(parsedGrant.caps, board.profile.grantable);
          if (beyond.length) throw new UsageError(`run: --grant ${g}: ${cannotGrant(board, beyond)}`);
          grants.set(m, mergeCapabilities(grants.get(m) ?? {}, parsedGrant.caps));
        }
        // Likewise a project's manifest: the request is in its fwx.json, not in the directory's name.
        for (const m of loaded) {
          if (!m.requested || !isDirectory(m.source)) continue;
          const beyond = capabilityExcess(m.requested, board.profile.grantable);
          if (beyond.length) throw new UsageError(`run: ${join(m.source, "fwx.json")}: capabilities: ${cannotGrant(board, beyond)}`);
        }
        for (const c of values.config ?? []) {
          const mm = /^(?:([^:=]+):)?([^=]+)=(.*)$/.exec(c);
          if (!mm) throw new UsageError(`run: --config ${c}: expected key=value or module:key=value`);
          const m = target(loaded, mm[1] ?? null, `--config ${c}`);
          let value = mm[3]!;
          if (m.configFields) {
            // The same check a device makes for `fwx config set`: the setting exists, has the right type and is within its bounds.
            try {
              value = checkConfigValues(m.id, m.configFields, { [mm[2]!]: value })[mm[2]!]!;
            } catch (e) {
              if (e instanceof ConfigValueError) throw new UsageError(`run: --config ${c}: ${e.message}`);
              throw e;
            }
          }
          m.config.set(mm[2]!, value);
        }
        const specs: ModuleSpec[] = loaded.map((m) => {
          for (const w of m.warnings) note(`warning: ${w}`);
          let requested = m.requested ?? {};
          const extra = grants.get(m);
          if (extra) requested = mergeCapabilities(requested, extra);
          else if (m.requested === null) {
            requested = board.profile.grantable;
            note(`warning: ${m.source} has no manifest and no --grant: granting everything board "${board.profile.name}" can grant`);
          }
          const fuelFor = fuel ?? m.fuel;
          return { id: m.id, bytes: m.bytes, source: m.source, requested, config: m.config, ...(fuelFor ? { fuel: fuelFor } : {}), ...(m.ramBudgetBytes ? { ramBudgetBytes: m.ramBudgetBytes } : {}), debugMap: m.debugMap ?? null };
        });
        const width = Math.max(8, ...specs.map((s) => (s.id.split(".").pop() ?? s.id).length));
        const header = () => { if (!values.json) out(`fwx run: ${specs.map((s) => s.id).join(", ")} on board "${board.profile.name}" for ${formatTime(durationUs)} of device time (${speed === "max" ? "as fast as possible" : speed === "real-time" ? `real time: ${hardware.join(", ")} on hardware` : `${speed}x`})${narrowed ? "" : "; printing lifecycle, faults, refused calls, warnings, telemetry and outputs switched (--show/--hide <kinds>, --log-level for more)"}`); };
        const print = (e: LoggedEvent) => {
          if (!shown(e)) return;
          if (values.json) return out(eventToJson(e));
          // An abort the compiler made names its site by number; the timeline line gives what the report under it says.
          const named = e.kind === "fault" && e.reason === "abort" && typeof e.detail === "string"
            ? { detail: withAbortSite(e.detail, specs.find((s) => s.id === e.module)?.debugMap ?? null) } : {};
          out(eventToLine({ ...e, ...named, module: e.module.split(".").pop() ?? e.module }, width));
          if (e.kind === "fault" && typeof e.report === "string") out(e.report.split("\n").map((l) => `      ${l}`).join("\n"));
        };
        const result = await runSimulation({
          board, modules: specs, durationUs, speed, record: values.record !== undefined, onEvent: print,
          stateDir: values["state-dir"] ?? null, onReady: header, preparedCacheDir: preparedCacheDir(),
        });
        if (values.record && result.recording) {
          writeFileDurable(values.record, result.recording);
          note(`recorded ${result.recording.length} bytes to ${values.record}`);
        }
        const s = result.summary;
        const line = `${s.modules.map((m) => `${m.id}: ${m.state}, ${m.faults} fault${m.faults === 1 ? "" : "s"}, ${m.restarts} restart${m.restarts === 1 ? "" : "s"}`).join("; ")}; ${s.events} events`;
        if (values.json) note(line);
        else out(`done at ${formatTime(s.endUs)}: ${line}`);
        return result.faults.length ? 3 : EXIT.ok;
      } catch (e) {
        if (e instanceof ModuleRefused) {
          process.stderr.write(`fwx: run: ${e.moduleId} refused (${e.step}):\n${e.report}\n`);
          return EXIT.invalid;
        }
        // A damaged kv file in --state-dir is invalid input: one line naming the file, not an internal error.
        if (e instanceof KvStoreError) {
          process.stderr.write(`fwx: run: ${e.message}\n`);
          return EXIT.invalid;
        }
        throw e;
      }
    };
    if (!values.watch) return once();

    // Watch: the same run again after every save, until interrupted. Changes made while a run goes
    // on are not lost: the watch starts before the run.
    const targets = watchTargets([...positionals, ...(values.board ? [values.board] : []), ...(values.trace ? [values.trace] : [])]);
    for (;;) {
      const changed = nextChange(targets);
      const t0 = performance.now();
      let code: number;
      try {
        code = await once();
      } catch (e) {
        // A bad option or input stays bad until the user edits something: say it and keep watching.
        if (!(e instanceof UsageError)) throw e;
        note(`fwx: ${e.message}`);
        code = EXIT.invalid;
      }
      const outcome = code === EXIT.ok ? "ran to the end" : code === 3 ? "a module faulted" : "did not run";
      note(`watch: ${outcome} (${Math.round(performance.now() - t0)} ms); waiting for a save (Ctrl-C to stop)`);
      const file = await changed;
      note(`watch: ${file} changed: building and running again`);
    }
  },
};

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const cannotGrant = (board: Board, beyond: string[]): string =>
  `the board${board.profile.name ? ` "${board.profile.name}"` : ""} cannot grant ${beyond.join("; ")} (its profile's "grantable" lists what it can)`;
