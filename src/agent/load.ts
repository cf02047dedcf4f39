// Turning what a user names on the command line into ModuleSpecs: a .wasm
// file, a project directory (built in memory) or a .fwx package; plus
// `--grant` and `--config` arguments.

import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { parseCapabilities, CapabilityError, PIN_MODES, type Capabilities } from "../caps/capabilities.js";
import { findDebugMap, sha256Hex, type DebugMap } from "../build/debug-map.js";
import { formatDiagnostic } from "../build/compile.js";
import { configDefaults, configText, MANIFEST_FILE, ManifestError, projectAboveHint, type ModuleManifest } from "../build/manifest.js";
import { readPackageUnverified, verifyPackage, splitPackage, PackageError, type ConfigField, type DeviceContext } from "../pkg/index.js";
import { configFields, DEFAULT_FUEL_PER_CALLBACK } from "../pkg/pack.js";
import { ANY } from "../pkg/certificate.js";
import { otherFileKind } from "../pkg/file-kind.js";
import { LOWERED } from "./abi.js";
import { ModuleRefused } from "./refusal.js";

export interface LoadedModule {
  id: string;
  bytes: Uint8Array;
  source: string;
  /** null when nothing declares what the module needs (a bare .wasm). */
  requested: Capabilities | null;
  /** Config defaults as text, plus the known keys (null: any key accepted). */
  config: Map<string, string>;
  /** The settings the manifest declares, with types and bounds (null: a bare .wasm, any key accepted). */
  configFields: ConfigField[] | null;
  ramBudgetBytes?: number;
  fuel?: bigint;
  warnings: string[];
  /** Names and source lines for crash reports: the build's own, or the map found for these bytes (findDebugMap). */
  debugMap?: DebugMap | null;
}

export interface LoadOptions {
  /** Raw Ed25519 product root key; packages are verified when given. */
  rootPublicKey?: Uint8Array;
  /**
   * The device a package is verified for. Without a customer or group, the simulated device is one of the
   * package's own certificate (its first customer and group), so a customer's package runs on the
   * simulator; with them (`fwx run --customer --group`) the scope is checked as that device would.
   */
  device?: Partial<Omit<DeviceContext, "offeredInterfaces">>;
  /** Debug map files named on the command line (--map); otherwise one is looked for beside the input and in ./build. */
  debugMaps?: string[];
}

/**
 * The fuel per callback of a project or a .wasm: what `fwx pack` gives it when it becomes a package (a package
 * carries its own). A module that spends more would pass the simulator and fault on every device.
 */
const PACKED_FUEL = BigInt(DEFAULT_FUEL_PER_CALLBACK);

const idFromFile = (path: string) => basename(path, extname(path)).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+/, "") || "module";

export async function loadModule(path: string, opts: LoadOptions = {}): Promise<LoadedModule> {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new ModuleRefused(idFromFile(path), "manifest", `${path}: no such file or directory`);
  }
  const takes = "fwx run takes a project directory (with fwx.json), a .wasm or a .fwx package";
  if (isDir) {
    // Said here: the build's own advice ("or name a .ts entry file") is for fwx build, not for a run.
    if (!existsSync(join(path, MANIFEST_FILE))) throw new ModuleRefused(idFromFile(path), "manifest", `${path}: no ${MANIFEST_FILE} here: ${takes} (fwx new makes a project)${projectAboveHint(path)}`);
    return loadProject(path);
  }
  // A source file would otherwise be read as a module, and refused for its missing magic bytes.
  if (extname(path) === ".ts") throw new ModuleRefused(idFromFile(path), "manifest", `${path}: an AssemblyScript source file: ${takes}; fwx build ${path} makes a .wasm`);
  const bytes = new Uint8Array(readFileSync(path));
  // A package under another name, a recording or a key: named as what it is, not as a module missing its magic bytes.
  const other = extname(path) === ".fwx" ? null : otherFileKind(bytes, "wasm");
  if (other !== null) throw new ModuleRefused(idFromFile(path), "manifest", `${path}: not a WebAssembly module: it is ${other}`);
  const loaded: LoadedModule = extname(path) === ".fwx" ? loadPackage(path, bytes, opts)
    : { id: idFromFile(path), bytes, source: path, requested: null, config: new Map(), configFields: null, fuel: PACKED_FUEL, warnings: [] };
  loaded.debugMap = findDebugMap(sha256Hex(loaded.bytes), { files: opts.debugMaps ?? [], near: [path], dirs: [process.cwd()] });
  return loaded;
}

async function loadProject(dir: string): Promise<LoadedModule> {
  // Loaded here, not at the top: a built .wasm or .fwx (what `fwx run` is given most) then loads neither
  // the compiler nor binaryen on the thread that runs the modules (they are prepared on the worker).
  const [{ buildModule }, { formatValidation }] = await Promise.all([import("../build/build.js"), import("../validate/validate.js")]);
  let result;
  try {
    // As fwx build builds it (no --debug-names): crash reports take names and lines from the build's debug
    // map, and the module that runs is the one fwx build writes, from the same entry of the compile cache.
    result = await buildModule(dir, { write: false });
  } catch (e) {
    if (e instanceof ManifestError) throw new ModuleRefused(basename(dir), "manifest", e.message);
    throw e;
  }
  const id = result.manifest?.id ?? basename(dir);
  if (!result.ok || !result.bytes || !result.manifest) {
    const text = result.stage === "compile"
      ? [`${dir}: build failed`, ...result.diagnostics.map(formatDiagnostic), ...(result.compileFailure ? [result.compileFailure] : [])].join("\n")
      : result.validation ? formatValidation(result.validation, result.outPath) : `${dir}: build failed`;
    throw new ModuleRefused(id, result.stage === "compile" ? "compile" : "validation", text);
  }
  return { ...projectModule(dir, result.manifest, result.bytes), debugMap: result.debugMap };
}

/**
 * A project's module as it runs (what loadModule gives for a project directory), from its manifest and
 * the bytes its build made: for a caller that has built it already (fwx build's RAM run), without
 * building it again.
 */
export function projectModule(dir: string, m: ModuleManifest, bytes: Uint8Array): LoadedModule {
  return {
    id: m.id, bytes, source: dir, requested: m.capabilities,
    config: new Map(Object.entries(configDefaults(m))), configFields: configFields(m.config),
    ramBudgetBytes: m.ramBudgetBytes, fuel: PACKED_FUEL, warnings: [],
  };
}

function loadPackage(path: string, bytes: Uint8Array, opts: LoadOptions): LoadedModule {
  const warnings: string[] = [];
  try {
    let manifest, payload: Uint8Array;
    if (opts.rootPublicKey) {
      const offered = LOWERED.interfaces.map((i) => ({ name: i.name, major: i.major, minor: i.minor }));
      const read = readPackageUnverified(bytes).certificate;
      const cert = "error" in read ? null : read;
      const own = (list: readonly string[] | undefined) => list?.find((x) => x !== ANY);
      const device: DeviceContext = {
        deviceClass: "gateway", capabilities: {}, ...opts.device,
        customer: opts.device?.customer ?? own(cert?.customers) ?? "simulator",
        group: opts.device?.group ?? own(cert?.groups) ?? "simulator",
        offeredInterfaces: offered,
      };
      ({ manifest, payload } = verifyPackage(bytes, { rootPublicKey: opts.rootPublicKey, now: Date.now(), device }));
    } else {
      const unverified = readPackageUnverified(bytes);
      if ("error" in unverified.manifest) throw new ModuleRefused(idFromFile(path), "package", `${path}: manifest unreadable: ${unverified.manifest.error}`);
      manifest = unverified.manifest;
      payload = splitPackage(bytes).payload;
      warnings.push(`${path}: signature NOT verified (pass --root <product root public key> to verify)`);
    }
    const config = new Map<string, string>();
    for (const f of manifest.config) if (f.default !== undefined) config.set(f.name, configText(f.default));
    return {
      id: manifest.id, bytes: payload, source: path, requested: manifest.capabilities,
      config, configFields: manifest.config,
      ramBudgetBytes: manifest.budgets.ramBytes, fuel: BigInt(manifest.budgets.fuelPerCallback), warnings,
    };
  } catch (e) {
    if (e instanceof PackageError) throw new ModuleRefused(idFromFile(path), "package", `${path}: ${e.message}`);
    throw e;
  }
}

const GRANT_KINDS = ["timers", "sensor", "gpio", "adc", "pwm", "i2c", "spi", "uart", "telemetry", "kv"];

export class GrantSyntaxError extends Error {}

/**
 * Parses one --grant: `[module:]kind:args`, e.g. `gpio:5:output`, `sensor:cold_room`,
 * `i2c:0:0x48`, `telemetry:alarms/#`, `timers:4`, `kv:1024`, `uart:1`.
 */
export function parseGrant(text: string): { module: string | null; caps: Capabilities } {
  const parts = text.split(":");
  let module: string | null = null;
  if (!GRANT_KINDS.includes(parts[0]!) && parts.length > 2) module = parts.shift()!;
  const [kind, ...args] = parts;
  const num = (s: string | undefined, what: string) => {
    const n = s !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(n)) throw new GrantSyntaxError(`--grant ${text}: ${what} must be a whole number (decimal, or hex as 0x48)`);
    return n;
  };
  let raw: Record<string, unknown>;
  switch (kind) {
    case "timers": raw = { timers: num(args[0], "the timer count") }; break;
    case "kv": raw = { kv: num(args[0], "the kv quota") }; break;
    case "sensor": raw = { sensors: [args.join(":")] }; break;
    case "telemetry": raw = { telemetry: [args.join(":")] }; break;
    case "gpio": {
      const modes = (args[1] ?? "").split(",").filter(Boolean);
      if (!modes.length) throw new GrantSyntaxError(`--grant ${text}: name the modes, e.g. gpio:5:output or gpio:4:input,input-pull-up (modes: ${PIN_MODES.join(", ")})`);
      raw = { gpio: [{ pin: num(args[0], "the pin"), modes }] };
      break;
    }
    case "adc": case "pwm": case "uart": raw = { [kind]: [num(args[0], "the channel or port")] }; break;
    case "i2c": raw = { i2c: [{ bus: num(args[0], "the bus"), address: num(args[1], "the address") }] }; break;
    case "spi": raw = { spi: [{ bus: num(args[0], "the bus"), cs: num(args[1], "the chip select") }] }; break;
    default: throw new GrantSyntaxError(`--grant ${text}: unknown capability "${kind}" (known: ${GRANT_KINDS.join(", ")})`);
  }
  const option = `--grant ${text}`;
  try {
    return { module, caps: parseCapabilities(raw, option) };
  } catch (e) {
    // The check names a field of the JSON shape ("--grant gpio:6:outptu.gpio[0].modes[0]"), which the option does not
    // have: the option as typed, then what is wrong.
    if (e instanceof CapabilityError) throw new GrantSyntaxError(`${option}: ${e.message.slice(e.path.length + 2)}`);
    throw e;
  }
}

/** Union of two capability sets (grants add to what a manifest asks for). */
export function mergeCapabilities(a: Capabilities, b: Capabilities): Capabilities {
  const out: Capabilities = { ...a };
  const uniq = <T>(xs: T[]) => [...new Map(xs.map((x) => [JSON.stringify(x), x])).values()];
  if (b.timers !== undefined) out.timers = Math.max(a.timers ?? 0, b.timers);
  if (b.kv !== undefined) out.kv = Math.max(a.kv ?? 0, b.kv);
  if (b.sensors) out.sensors = uniq([...(a.sensors ?? []), ...b.sensors]);
  if (b.gpio) out.gpio = uniq([...(a.gpio ?? []), ...b.gpio]);
  if (b.adc) out.adc = uniq([...(a.adc ?? []), ...b.adc]);
  if (b.pwm) out.pwm = uniq([...(a.pwm ?? []), ...b.pwm]);
  if (b.uart) out.uart = uniq([...(a.uart ?? []), ...b.uart]);
  if (b.i2c) out.i2c = uniq([...(a.i2c ?? []), ...b.i2c]);
  if (b.spi) out.spi = uniq([...(a.spi ?? []), ...b.spi]);
  if (b.telemetry) out.telemetry = uniq([...(a.telemetry ?? []), ...b.telemetry]);
  return out;
}
