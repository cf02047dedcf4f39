// Sensor traces: recorded or scripted values replayed on the virtual clock.
//
// Format (CSV, UTF-8):
//   - lines starting with `#` and blank lines are ignored;
//   - the first other line is the header, exactly `time,sensor,value`;
//   - `time` is seconds since the start of the run, a decimal with at most
//     6 fractional digits (µs resolution), e.g. `0`, `90`, `3600.25`;
//   - `sensor` is a column name the board profile refers to (`cold_room`);
//   - `value` is a decimal number, or `timeout` / `fault` to make reads of a
//     sensor fail from that time on (until the next numeric row).
// Rows of one sensor must be in non-decreasing time order; two rows at the
// same time make an instantaneous jump.

import { TraceError } from "./errors.js";

export type TraceValue = number | "timeout" | "fault";

export interface TracePoint {
  timeUs: bigint;
  value: TraceValue;
  /** 1-based line in the trace file, for error messages about this row. */
  line: number;
}

export interface Trace {
  source: string;
  /** Rows per sensor column, in time order. */
  series: ReadonlyMap<string, readonly TracePoint[]>;
  /** Time of the last row. */
  endUs: bigint;
}

export type Interpolation = "linear" | "step";

const TIME_RE = /^(\d+)(?:\.(\d{1,6}))?$/;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses seconds with up to 6 decimals into exact microseconds (no float rounding). */
function parseSeconds(text: string): bigint | null {
  const m = TIME_RE.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * 1_000_000n + BigInt((m[2] ?? "").padEnd(6, "0"));
}

export function parseTraceCsv(text: string, source: string): Trace {
  const series = new Map<string, TracePoint[]>();
  let headerSeen = false;
  let endUs = 0n;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    // Field start columns (1-based) so errors point at the field, not the line.
    const fields: { text: string; column: number }[] = [];
    let start = 0;
    for (const part of raw.split(",")) {
      const lead = part.length - part.trimStart().length;
      fields.push({ text: part.trim(), column: start + lead + 1 });
      start += part.length + 1;
    }
    if (!headerSeen) {
      const names = fields.map((f) => f.text);
      if (names.length !== 3 || names[0] !== "time" || names[1] !== "sensor" || names[2] !== "value")
        throw new TraceError(source, lineNo, 1, `header must be exactly "time,sensor,value", found "${raw.trim()}"`);
      headerSeen = true;
      continue;
    }
    if (fields.length !== 3)
      throw new TraceError(source, lineNo, fields.length > 3 ? fields[3]!.column : raw.length + 1, `expected 3 fields (time,sensor,value), found ${fields.length}`);
    const timeField = fields[0]!;
    const sensorField = fields[1]!;
    const valueField = fields[2]!;
    const timeUs = parseSeconds(timeField.text);
    if (timeUs === null)
      throw new TraceError(source, lineNo, timeField.column, `time "${timeField.text}" is not seconds as a decimal number (e.g. 90 or 3600.25, at most 6 decimals)`);
    if (!NAME_RE.test(sensorField.text))
      throw new TraceError(source, lineNo, sensorField.column, `sensor "${sensorField.text}" is not a name (letters, digits, _ . -, starting with a letter or _)`);
    let value: TraceValue;
    if (valueField.text === "timeout" || valueField.text === "fault") value = valueField.text;
    else if (NUMBER_RE.test(valueField.text)) value = Number(valueField.text);
    else throw new TraceError(source, lineNo, valueField.column, `value "${valueField.text}" is not a number, "timeout" or "fault"`);
    if (typeof value === "number" && !Number.isFinite(value))
      throw new TraceError(source, lineNo, valueField.column, `value "${valueField.text}" is not finite`);
    let points = series.get(sensorField.text);
    if (!points) series.set(sensorField.text, (points = []));
    const prev = points[points.length - 1];
    if (prev && timeUs < prev.timeUs)
      throw new TraceError(source, lineNo, timeField.column, `time ${timeField.text} s goes back before line ${prev.line} of sensor ${sensorField.text}; rows of a sensor must be in time order`);
    points.push({ timeUs, value, line: lineNo });
    if (timeUs > endUs) endUs = timeUs;
  }
  if (!headerSeen) throw new TraceError(source, 1, 1, `missing header "time,sensor,value"`);
  return { source, series, endUs };
}

/** Index of the last point with timeUs <= t, or -1 when t is before the first point. */
function lastAtOrBefore(points: readonly TracePoint[], t: bigint): number {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.timeUs <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The value of a series at time t. Before the first row the first value holds,
 * after the last row the last value holds. `linear` interpolates between two
 * numeric rows; next to a timeout/fault row it behaves as `step`.
 */
export function traceValueAt(points: readonly TracePoint[], t: bigint, interpolation: Interpolation): TraceValue {
  if (points.length === 0) throw new Error("traceValueAt: empty series");
  const i = lastAtOrBefore(points, t);
  if (i < 0) return points[0]!.value;
  const a = points[i]!;
  const b = points[i + 1];
  if (interpolation === "step" || !b || typeof a.value !== "number" || typeof b.value !== "number" || b.timeUs === a.timeUs) return a.value;
  const f = Number(t - a.timeUs) / Number(b.timeUs - a.timeUs);
  return a.value + (b.value - a.value) * f;
}

/** Times (after the first row) at which a 0/1 series changes level, with the new level. */
export function traceEdges(points: readonly TracePoint[]): { timeUs: bigint; level: boolean }[] {
  const edges: { timeUs: bigint; level: boolean }[] = [];
  let level: boolean | null = null;
  for (const p of points) {
    const l = p.value === 1;
    if (level !== null && l !== level) edges.push({ timeUs: p.timeUs, level: l });
    level = l;
  }
  return edges;
}
