// Small typed readers over untrusted JSON that know where they are: every
// failure throws BoardProfileError with the field path (`sensors[2].range.min`).

import { BoardProfileError } from "./errors.js";
import type { SourceSpec } from "./profile-types.js";

export type JsonObject = Record<string, unknown>;

export class JsonReader {
  constructor(readonly source: string) {}

  fail(path: string, problem: string): never {
    throw new BoardProfileError(this.source, path, problem);
  }

  static join(path: string, key: string | number): string {
    if (typeof key === "number") return `${path}[${key}]`;
    return path === "" ? key : `${path}.${key}`;
  }

  object(v: unknown, path: string, allowedKeys: readonly string[]): JsonObject {
    if (v === null || typeof v !== "object" || Array.isArray(v)) this.fail(path, "must be an object");
    const o = v as JsonObject;
    for (const k of Object.keys(o))
      if (!allowedKeys.includes(k)) this.fail(JsonReader.join(path, k), `unknown field (allowed: ${allowedKeys.join(", ")})`);
    return o;
  }

  required(o: JsonObject, key: string, path: string): unknown {
    if (o[key] === undefined) this.fail(JsonReader.join(path, key), "is required");
    return o[key];
  }

  string(o: JsonObject, key: string, path: string, def?: string): string {
    const v = def !== undefined && o[key] === undefined ? def : this.required(o, key, path);
    if (typeof v !== "string") this.fail(JsonReader.join(path, key), "must be a string");
    return v;
  }

  name(o: JsonObject, key: string, path: string): string {
    const v = this.string(o, key, path);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(v))
      this.fail(JsonReader.join(path, key), `"${v}" is not a name (1-64 of letters, digits, _ . -, starting with a letter or _)`);
    return v;
  }

  number(o: JsonObject, key: string, path: string, def?: number): number {
    const v = def !== undefined && o[key] === undefined ? def : this.required(o, key, path);
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(JsonReader.join(path, key), "must be a finite number");
    return v;
  }

  integer(o: JsonObject, key: string, path: string, min: number, max: number, def?: number): number {
    const v = this.number(o, key, path, def);
    if (!Number.isInteger(v) || v < min || v > max) this.fail(JsonReader.join(path, key), `must be an integer ${min}..${max}, got ${v}`);
    return v;
  }

  nonNegative(o: JsonObject, key: string, path: string, def?: number): number {
    const v = this.number(o, key, path, def);
    if (v < 0) this.fail(JsonReader.join(path, key), `must not be negative, got ${v}`);
    return v;
  }

  boolean(o: JsonObject, key: string, path: string, def: boolean): boolean {
    const v = o[key] === undefined ? def : o[key];
    if (typeof v !== "boolean") this.fail(JsonReader.join(path, key), "must be true or false");
    return v;
  }

  oneOf<T extends string>(o: JsonObject, key: string, path: string, values: readonly T[], def?: T): T {
    const v = def !== undefined && o[key] === undefined ? def : this.required(o, key, path);
    if (!(values as readonly unknown[]).includes(v)) this.fail(JsonReader.join(path, key), `must be one of ${values.map((x) => JSON.stringify(x)).join(", ")}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  array(o: JsonObject, key: string, path: string, optional = false): unknown[] {
    if (optional && o[key] === undefined) return [];
    const v = this.required(o, key, path);
    if (!Array.isArray(v)) this.fail(JsonReader.join(path, key), "must be an array");
    return v;
  }

  /** Seconds (JSON number) to exact microseconds. */
  seconds(o: JsonObject, key: string, path: string, def?: number): bigint {
    const v = this.nonNegative(o, key, path, def);
    return BigInt(Math.round(v * 1_000_000));
  }

  /** A value source; see SourceSpec. */
  sourceSpec(v: unknown, path: string, defaultInterpolation: "linear" | "step" = "linear"): SourceSpec {
    if (typeof v === "number") {
      if (!Number.isFinite(v)) this.fail(path, "must be a finite number");
      return { kind: "constant", value: v };
    }
    if (v === null || typeof v !== "object" || Array.isArray(v))
      this.fail(path, `must be a number or one of {"constant": n}, {"trace": "column"}, {"sine": {...}}, {"sensor": "name"}`);
    const o = v as JsonObject;
    const kinds = ["constant", "trace", "sine", "sensor"].filter((k) => o[k] !== undefined);
    if (kinds.length !== 1) this.fail(path, `must have exactly one of "constant", "trace", "sine", "sensor" (found ${kinds.length === 0 ? "none" : kinds.join(", ")})`);
    switch (kinds[0]) {
      case "constant":
        this.object(o, path, ["constant"]);
        return { kind: "constant", value: this.number(o, "constant", path) };
      case "trace":
        this.object(o, path, ["trace", "interpolation"]);
        return { kind: "trace", column: this.name(o, "trace", path), interpolation: this.oneOf(o, "interpolation", path, ["linear", "step"] as const, defaultInterpolation) };
      case "sensor":
        this.object(o, path, ["sensor"]);
        return { kind: "sensor", name: this.name(o, "sensor", path) };
      default: {
        this.object(o, path, ["sine"]);
        const sp = JsonReader.join(path, "sine");
        const s = this.object(o.sine, sp, ["mean", "amplitude", "periodS", "phaseS"]);
        const periodS = this.number(s, "periodS", sp);
        if (periodS <= 0) this.fail(JsonReader.join(sp, "periodS"), `must be above 0, got ${periodS}`);
        return { kind: "sine", mean: this.number(s, "mean", sp, 0), amplitude: this.number(s, "amplitude", sp), periodS, phaseS: this.number(s, "phaseS", sp, 0) };
      }
    }
  }
}

/** Reports the first duplicate of `key(item)` as `path[i].field: ... also at path[j]`. */
export function checkUnique<T>(r: JsonReader, items: readonly T[], path: string, field: string, key: (t: T) => string | number, what: string): void {
  const seen = new Map<string | number, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const j = seen.get(k);
    if (j !== undefined) r.fail(`${path}[${i}].${field}`, `duplicate ${what} ${typeof k === "number" ? k : JSON.stringify(k)} (also at ${path}[${j}])`);
    seen.set(k, i);
  });
}
