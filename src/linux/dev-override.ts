// `--dev <connector>=<path>` (fwx run, fwx agent): points a board profile's
// connector at a device file on this machine, so an integrator can try a
// module against real hardware on a bench without editing the profile. The
// connector is named by kind and number (`uart1`, `i2c1`) or by its name in
// the profile (`rs485`); a simulated connector becomes a Linux one (its
// simulator data is dropped), a Linux one keeps its other settings. The
// device file itself is checked when the board loads (src/linux/device-file.ts),
// so a missing file or a permission problem names the connector and the path.

/** One parsed `--dev` option. */
export interface DeviceOverride {
  connector: string;
  path: string;
  /** The option as given, for errors. */
  option: string;
  /** Set by applyDeviceOverrides: how the profile's own checks name the connector served ("boards/demo.json: uart[0]"). */
  served?: string;
}

export class DeviceOverrideError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceOverrideError";
  }
}

/** `uart1=/dev/ttyUSB0` → {connector, path}; refuses anything else naming the option. */
export function parseDeviceOverride(text: string): DeviceOverride {
  const m = /^([A-Za-z0-9_.-]+)=(\/.+)$/.exec(text);
  if (!m) throw new DeviceOverrideError(`--dev ${text}: expected <connector>=<absolute device path>, like uart1=/dev/ttyUSB0 or rs485=/dev/serial0`);
  return { connector: m[1]!, path: m[2]!, option: `--dev ${text}` };
}

type Json = Record<string, unknown>;

/** Per kind: the number field, and how a device path becomes the connector's Linux backend. */
const KINDS = {
  uart: { key: "port", simOnly: ["device"], linux: (path: string, old: Json | undefined, _spec?: Json) => ({ ...(old?.flowControl ? { flowControl: old.flowControl } : {}), device: path }) },
  i2c: { key: "bus", simOnly: ["devices", "faults"], linux: (path: string, _old?: Json, _spec?: Json) => ({ device: path }) },
  // A line on a chip: `gpio17=/dev/gpiochip0:17`; the chip alone keeps the profile's line (or the pin's number).
  gpio: { key: "pin", simOnly: ["drive"], linux: (path: string, old: Json | undefined, spec?: Json) => {
    const m = /^(.*):(\d+)$/.exec(path);
    return m ? { chip: m[1], line: Number(m[2]) } : { chip: path, line: typeof old?.line === "number" ? old.line : spec?.pin };
  } },
} as const;

/**
 * Applies the overrides to a parsed profile (not yet validated; `source`
 * names it in errors) and returns the changed copy. A connector that does not
 * exist, or a kind a path cannot describe (a GPIO line needs chip and line,
 * SPI one path per chip select), is refused naming the option.
 */
export function applyDeviceOverrides(profile: unknown, overrides: readonly DeviceOverride[], source: string): unknown {
  if (!overrides.length || typeof profile !== "object" || profile === null) return profile;
  const copy = structuredClone(profile) as Json;
  const seen = new Map<string, string>();
  for (const o of overrides) {
    const found = find(copy, o.connector);
    if (!found) {
      throw new DeviceOverrideError(`${o.option}: ${source} has no connector "${o.connector}" a device path can serve (known: ${known(copy).join(", ") || "none"}; SPI chip selects are set in the profile)`);
    }
    const id = `${found.kind}[${found.index}]`;
    if (seen.has(id)) throw new DeviceOverrideError(`${o.option}: ${id} is already set by ${seen.get(id)}`);
    seen.set(id, o.option);
    o.served = `${source}: ${id}`;
    const c = found.spec;
    const old = (c.backend as { linux?: Json } | undefined)?.linux;
    for (const f of KINDS[found.kind].simOnly) delete c[f];
    c.backend = { linux: KINDS[found.kind].linux(o.path, old, c) };
  }
  return copy;
}

function connectors(profile: Json): { kind: keyof typeof KINDS; index: number; spec: Json }[] {
  const out: { kind: keyof typeof KINDS; index: number; spec: Json }[] = [];
  for (const kind of Object.keys(KINDS) as (keyof typeof KINDS)[]) {
    const list = profile[kind];
    if (Array.isArray(list)) list.forEach((spec, index) => { if (spec && typeof spec === "object") out.push({ kind, index, spec: spec as Json }); });
  }
  return out;
}

function find(profile: Json, name: string) {
  return connectors(profile).find((c) => `${c.kind}${String(c.spec[KINDS[c.kind].key])}` === name || c.spec.name === name);
}

function known(profile: Json): string[] {
  return connectors(profile).map((c) => `${c.kind}${String(c.spec[KINDS[c.kind].key])}${typeof c.spec.name === "string" ? ` (${c.spec.name})` : ""}`);
}

/**
 * An error the profile's checks (or the device file's) raised about a connector an option serves, said about
 * the option: `--dev uart1=/dev/ttyUSB9: serial device /dev/ttyUSB9 does not exist`, not about a profile
 * file the user did not write that path into. Any other message is returned as it is.
 */
export function attributeToOption(message: string, overrides: readonly DeviceOverride[]): string {
  for (const o of overrides) {
    if (!o.served) continue;
    if (message.startsWith(`${o.served}: `)) return `${o.option}: ${message.slice(o.served.length + 2)}`;
    // A field inside the connector ("i2c[0].backend.linux.device: …"): the option stands for all of it.
    const field = new RegExp(`^${o.served.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.[^:]*: `).exec(message);
    if (field) return `${o.option}: ${message.slice(field[0].length)}`;
  }
  return message;
}
