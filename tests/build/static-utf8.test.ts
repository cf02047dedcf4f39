// The static-UTF-8 transform (src/build/static-utf8.ts): a Log call with a
// literal sends the host exactly what the untransformed call sends, the
// literal is no longer stored as UTF-16, and only the SDK's Log is touched.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileAssemblyScript } from "../../src/build/compile.js";
import { jsonKey, LOG_LINE_CAP, utf8Prefix } from "../../src/build/static-utf8.js";

describe("utf8Prefix", () => {
  it("encodes as UTF-8 with lone surrogates as U+FFFD", () => {
    const text = "a é ✓ 😀 \ud800 \udc00";
    expect(Buffer.from(utf8Prefix(text, 100))).toEqual(Buffer.from(text, "utf8"));
    expect([...utf8Prefix("\ud800", 10)]).toEqual([0xef, 0xbf, 0xbd]);
  });

  it("cuts at a character boundary, never inside one", () => {
    expect(Buffer.from(utf8Prefix("a😀b", 4)).toString()).toBe("a");
    expect(utf8Prefix("é".repeat(200), LOG_LINE_CAP).length).toBe(256);
    expect(utf8Prefix("a" + "é".repeat(200), LOG_LINE_CAP).length).toBe(255);
  });
});

describe("jsonKey", () => {
  it("quotes and escapes a key as assembly/json.ts does, colon included", () => {
    expect(Buffer.from(jsonKey('a"b\\c\n\u001fé')).toString()).toBe('"a\\"b\\\\c\\u000a\\u001fé":');
  });
});

const LONG = "x" + "é".repeat(140); // 281 bytes: cut by both paths to 255
const LITERALS = ["door opened", "ünïcode ✓ 😀", "\ud800 lone", "", LONG];

/** A project logging each literal once through Log, once through a variable (untransformed), and through its own class named Log. */
function project(dir: string): void {
  mkdirSync(join(dir, "assembly"), { recursive: true });
  const lits = LITERALS.map((l) => JSON.stringify(l));
  writeFileSync(join(dir, "assembly", "own.ts"), "export class Log { static info(s: string): i32 { return s.length; } }\n");
  writeFileSync(
    join(dir, "assembly", "index.ts"),
    [
      'import { Log as FwxLog, Config, Json, Telemetry } from "fwx";',
      // Log.line pieces, including a line cut inside a multibyte piece.
      `let p1 = "T=", p2 = " °C ✓ 😀", p3 = "é".repeat(130), p4 = "";`,
      `export function lineLiteral(): void { FwxLog.line(1).str("T=").num(4.25, 1).str(" °C ✓ 😀").str("").uint(7).send(); }`,
      `export function lineVariables(): void { FwxLog.line(1).str(p1).num(4.25, 1).str(p2).str(p4).uint(7).send(); }`,
      `export function longLineLiteral(): void { FwxLog.line(2).str("ab").str("${"é".repeat(130)}").str("after").send(); }`,
      `export function longLineVariables(): void { FwxLog.line(2).str("ab".substring(0)).str(p3).str("after".substring(0)).send(); }`,
      // Config keys: the literal path and the string path read the same value; a bad value falls back the same way.
      `let ck1 = "period_s", ck2 = "bad";`,
      `export function configLiteral(): f64 { return <f64>Config.getU32("period_s", 7) * 1000 + Config.getNumber("bad", 0.5) + <f64>Config.getU32("bad", 3) * 10; }`,
      `export function configVariables(): f64 { return <f64>Config.getU32(ck1, 7) * 1000 + Config.getNumber(ck2, 0.5) + <f64>Config.getU32(ck2, 3) * 10; }`,
      // The same object through the literal path (rewritten) and through variables (the string path).
      `export function jsonLiteral(): void { Json.begin().num("t\\"k", 1.5, 1).str("é\\n", "v").int("n", -1).bool("b", true).uint("u", 7); Telemetry.publishJson("top/ic"); }`,
      `let k1 = "t\\"k", k2 = "é\\n", k3 = "n", k4 = "b", k5 = "u", topic = "top/ic";`,
      `export function jsonVariables(): void { Json.begin().num(k1, 1.5, 1).str(k2, "v").int(k3, -1).bool(k4, true).uint(k5, 7); Telemetry.publishJson(topic); }`,
      'import { Log } from "./own";',
      ...lits.map((l, i) => `export function direct${i}(): void { FwxLog.warn(${l}); }`),
      ...lits.map((l, i) => `let v${i}: string = ${l};\nexport function viaVariable${i}(): void { FwxLog.warn(v${i}); }`),
      `export function own(): i32 { return Log.info("own class"); }`,
      `export function onlyDirect(): void { FwxLog.error("only direct"); }`,
    ].join("\n"),
  );
}

/** A project whose SDK calls name the project's string constants: local, imported, and one a parameter shadows. */
function constantsProject(dir: string): void {
  mkdirSync(join(dir, "assembly"), { recursive: true });
  writeFileSync(join(dir, "assembly", "names.ts"), 'export const TOPIC = "c/top ✓";\nexport const KEY = "count";\nexport const SHADOWED = "the constant";\n');
  writeFileSync(join(dir, "assembly", "shadow.ts"), [
    'import { Log } from "fwx";',
    'import { SHADOWED } from "./names";',
    // The parameter, not the constant: the transform must leave this call alone.
    "function say(SHADOWED: string): void { Log.warn(SHADOWED); }",
    'export function shadowed(): void { say("the parameter"); }',
    "",
  ].join("\n"));
  writeFileSync(join(dir, "assembly", "index.ts"), [
    'import { Log, Json, Kv, Telemetry } from "fwx";',
    'import { KEY, TOPIC } from "./names";',
    'export { shadowed } from "./shadow";',
    'const LOCAL = "only through a constant";',
    'let vLocal = "only through a constant".substring(0), vTopic = "c/top ".concat("✓"), vKey = "count".substring(0);',
    "export function logConstant(): void { Log.warn(LOCAL); }",
    "export function logVariable(): void { Log.warn(vLocal); }",
    'export function jsonConstant(): void { Json.begin().str("state", "a\\"l\\\\arm ✓").int("n", 1); Telemetry.publishJson(TOPIC); }',
    'let vState = "state", vValue = "a\\"l\\\\arm ✓";',
    "export function jsonVariable(): void { Json.begin().str(vState, vValue).int(\"n\", 1); Telemetry.publishJson(vTopic); }",
    "export function kvConstant(): u32 { Kv.setU32(KEY, 41); return Kv.getU32(KEY, 3) + Kv.getU32(\"missing\", 3) * 100; }",
    // A private helper whose string parameters only receive literals and constants: specialized to UTF-8 pairs.
    "class Events {",
    '  private publish(topic: string, what: string, n: i32): void { Json.begin().str("event", what).int("n", n); Telemetry.publishJson(topic); }',
    '  closed(): void { this.publish(TOPIC, "clo\\"sed ✓", 1); }',
    '  opened(): void { this.publish("c/other", "opened", 2); }',
    "}",
    "class Plain {",
    '  send(topic: string, what: string, n: i32): void { Json.begin().str("event", what).int("n", n); Telemetry.publishJson(topic); }',
    "}",
    "export function eventsSpecialized(which: i32): void { const e = new Events(); if (which == 1) e.closed(); else e.opened(); }",
    'export function eventsPlain(which: i32): void { const p = new Plain(); if (which == 1) p.send(vTopic, "clo\\"sed ".concat("✓"), 1); else p.send("c/oth".concat("er"), "open".concat("ed"), 2); }',
    'import { Sensor } from "fwx";',
    'export function sensorConstant(): void { Sensor.find(SENSOR); }',
    "export function sensorVariable(): void { Sensor.find(vSensor); }",
    'const SENSOR = "cold_room ✓";',
    'let vSensor = "cold_room ".concat("✓");',
    "export function kvVariable(): u32 { Kv.setU32(vKey, 41); return Kv.getU32(vKey, 3) + Kv.getU32(\"missing\".substring(0), 3) * 100; }",
    "",
  ].join("\n"));
}

/** A project whose functions return one of several literals (static-text.ts): two qualify, two keep the string path. */
function textsProject(dir: string): void {
  mkdirSync(join(dir, "assembly"), { recursive: true });
  writeFileSync(join(dir, "assembly", "zones.ts"), [
    "// Imports nothing from fwx, like the pump's analysis.ts.",
    'export function zoneOf(v: f64): string { if (v < 1) return "Alpha"; if (v < 2) return "Beta ✓"; return DELTA; }',
    'const DELTA = "Delta";',
    // A text JSON must escape: left as written.
    'export function quoteOf(v: f64): string { if (v < 1) return "say \\"hi\\""; return "plain"; }',
    // Its value is compared: left as written.
    'export function gradeOf(v: f64): string { if (v < 1) return "Gamma"; return "Epsilon"; }',
    "",
  ].join("\n"));
  // Re-exported whole by the entry, so part of the module's interface: left as written.
  writeFileSync(join(dir, "assembly", "shades.ts"), 'export function shadeOf(v: f64): string { if (v < 1) return "Umber"; return "Ochre"; }\n');
  writeFileSync(join(dir, "assembly", "index.ts"), [
    'import { Json, Log, Telemetry } from "fwx";',
    'import { gradeOf, quoteOf, zoneOf } from "./zones";',
    'import { shadeOf } from "./shades";',
    'export * from "./shades";',
    "class Monitor {",
    "  judge(v: f64): void { const zone = zoneOf(v); this.raise(zone, v); }",
    '  fixed(): void { this.raise("Fixed", 9); }',
    "  private raise(zone: string, v: f64): void { this.publish(zone, v); }",
    '  private publish(zone: string, v: f64): void { Json.begin().str("zone", zone).num("v", v, 1); Telemetry.publishJson("z"); }',
    "}",
    "const m = new Monitor();",
    'export function logZone(v: f64): void { const zone = zoneOf(v); Log.line(1).str("zone ").str(zone).str(".").send(); }',
    'export function logZoneDirect(v: f64): void { Log.line(1).str(zoneOf(v)).send(); }',
    "export function jsonZone(v: f64): void { m.judge(v); }",
    "export function jsonFixed(): void { m.fixed(); }",
    'export function jsonQuote(v: f64): void { Json.begin().str("q", quoteOf(v)); Telemetry.publishJson("z"); }',
    'export function shade(v: f64): void { Log.line(1).str(shadeOf(v)).send(); }',
    'export function grade(v: f64): void { const g = gradeOf(v); Log.line(1).str(g).uint(g == "Gamma" ? 1 : 0).send(); }',
    "",
  ].join("\n"));
}

function run(binary: Uint8Array): { call(name: string, ...args: number[]): { level: number; text: Buffer }; value(name: string): number } {
  let memory: WebAssembly.Memory | null = null;
  let last = { level: -1, text: Buffer.alloc(0) };
  const module = new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
  const imports: Record<string, Record<string, (...a: number[]) => number>> = {};
  for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
  imports["fwx:core@1"]!["log"] = (level, ptr, len) => {
    last = { level, text: Buffer.from(new Uint8Array(memory!.buffer, ptr, len)) };
    return 0;
  };
  imports["fwx:core@1"]!["config_get"] = (kp, kl, vp, vcap, lenOut) => {
    const key = Buffer.from(new Uint8Array(memory!.buffer, kp, kl)).toString();
    const value = Buffer.from(key === "period_s" ? "12" : key === "bad" ? "x1" : "");
    if (!value.length) return 5; // not-found
    new Uint8Array(memory!.buffer).set(value.subarray(0, vcap), vp);
    new DataView(memory!.buffer).setUint32(lenOut, value.length, true);
    return 0;
  };
  if (imports["fwx:telemetry@1"]) {
    imports["fwx:telemetry@1"]["publish"] = (tp, tl, pp, pl) => {
      const bytes = (p: number, l: number) => Buffer.from(new Uint8Array(memory!.buffer, p, l)).toString();
      last = { level: -2, text: Buffer.from(`${bytes(tp, tl)} ${bytes(pp, pl)}`) };
      return 0;
    };
  }
  if (imports["fwx:sensor@1"]) {
    imports["fwx:sensor@1"]["find"] = (np, nl) => {
      last = { level: -3, text: Buffer.from(new Uint8Array(memory!.buffer, np, nl)) };
      return 5; // not-found
    };
  }
  if (imports["fwx:kv@1"]) {
    const store = new Map<string, Buffer>();
    const text = (p: number, l: number) => Buffer.from(new Uint8Array(memory!.buffer, p, l)).toString();
    imports["fwx:kv@1"]["set"] = (kp, kl, vp, vl) => (store.set(text(kp, kl), Buffer.from(new Uint8Array(memory!.buffer, vp, vl))), 0);
    imports["fwx:kv@1"]["get"] = (kp, kl, vp, cap, lenOut) => {
      const v = store.get(text(kp, kl));
      if (!v) return 5; // not-found
      new DataView(memory!.buffer).setUint32(lenOut, v.length, true);
      if (v.length > cap) return 6;
      new Uint8Array(memory!.buffer).set(v, vp);
      return 0;
    };
  }
  const exports = new WebAssembly.Instance(module, imports).exports;
  memory = exports.memory as WebAssembly.Memory;
  return {
    value: (name: string) => (exports[name] as () => number)(),
    call(name, ...args) {
      last = { level: -1, text: Buffer.alloc(0) };
      (exports[name] as (...a: number[]) => void)(...args);
      return last;
    },
  };
}

describe("the static UTF-8 transform in fwx build", () => {
  const work = mkdtempSync(join(tmpdir(), "fwx-static-utf8-"));
  // One level down: a project directly in /tmp/<name> does not find the SDK (a separate bug in compile.ts's virtual --path).
  const dir = join(work, "project");
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  project(dir);

  it("sends the host the same bytes as the transcoding path, and stores the literal as UTF-8 only", async () => {
    const r = await compileAssemblyScript({ baseDir: dir, entry: "assembly/index.ts", runtime: "stub" });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const m = run(r.binary!);
    LITERALS.forEach((lit, i) => {
      const direct = m.call(`direct${i}`);
      const viaVariable = m.call(`viaVariable${i}`);
      expect(direct.level).toBe(2);
      expect(direct.text).toEqual(viaVariable.text);
      expect(direct.text).toEqual(Buffer.from(utf8Prefix(lit, LOG_LINE_CAP)));
    });
    expect(m.call("direct4").text.length).toBe(255);
    // The integrator's own class named Log is called as written.
    expect((new WebAssembly.Instance(new WebAssembly.Module(r.binary! as Uint8Array<ArrayBuffer>), importsOf(r.binary!)).exports.own as () => number)()).toBe(9);
    // JSON keys and the topic made at compile time: the same message as the string path.
    expect(m.call("jsonLiteral").text.toString()).toBe('top/ic {"t\\"k":1.5,"\u00e9\\u000a":"v","n":-1,"b":true,"u":7}');
    expect(m.call("jsonLiteral")).toEqual(m.call("jsonVariables"));
    expect(Buffer.from(r.binary!).includes(Buffer.from("top/ic", "utf16le"))).toBe(true); // the variable's copy
    expect(m.call("lineLiteral").text.toString()).toBe("T=4.3 °C ✓ 😀7");
    expect(m.call("lineLiteral")).toEqual(m.call("lineVariables"));
    expect(m.call("longLineLiteral").text.length).toBe(255);
    expect(m.call("longLineLiteral")).toEqual(m.call("longLineVariables"));
    expect(m.value("configLiteral")).toBe(12_000 + 0.5 + 30);
    expect(m.value("configVariables")).toBe(m.value("configLiteral"));
    // A literal only ever logged is stored as UTF-8 and not as UTF-16; the own class's literal stays a string.
    expect(m.call("onlyDirect")).toEqual({ level: 3, text: Buffer.from("only direct") });
    const bin = Buffer.from(r.binary!);
    expect(bin.includes(Buffer.from("only direct", "utf8"))).toBe(true);
    expect(bin.includes(Buffer.from("only direct", "utf16le"))).toBe(false);
    expect(bin.includes(Buffer.from("own class", "utf16le"))).toBe(true);
  }, 60_000);

  it("takes the project's string constants (in the file or imported) as literals, unless a parameter shadows one", async () => {
    const cdir = join(work, "constants");
    constantsProject(cdir);
    const r = await compileAssemblyScript({ baseDir: cdir, entry: "assembly/index.ts", runtime: "stub" });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const m = run(r.binary!);
    expect(m.call("logConstant")).toEqual({ level: 2, text: Buffer.from("only through a constant") });
    expect(m.call("logConstant")).toEqual(m.call("logVariable"));
    expect(m.call("jsonConstant").text.toString()).toBe('c/top ✓ {"state":"a\\"l\\\\arm ✓","n":1}');
    expect(m.call("jsonConstant")).toEqual(m.call("jsonVariable"));
    expect(m.value("kvConstant")).toBe(341);
    expect(m.value("kvVariable")).toBe(341);
    expect(m.call("shadowed")).toEqual({ level: 2, text: Buffer.from("the parameter") });
    expect(m.call("sensorConstant")).toEqual({ level: -3, text: Buffer.from("cold_room ✓") });
    expect(m.call("sensorConstant")).toEqual(m.call("sensorVariable"));
    // The specialized private helper sends what the plain one does with the same strings.
    expect(m.call("eventsSpecialized", 1).text.toString()).toBe('c/top ✓ {"event":"clo\\"sed ✓","n":1}');
    expect(m.call("eventsSpecialized", 1)).toEqual(m.call("eventsPlain", 1));
    expect(m.call("eventsSpecialized", 2).text.toString()).toBe('c/other {"event":"opened","n":2}');
    expect(m.call("eventsSpecialized", 2)).toEqual(m.call("eventsPlain", 2));
    // Rewritten everywhere it is used, the constant leaves no UTF-16 copy (it is compiled @lazy).
    const bin = Buffer.from(r.binary!);
    expect(bin.includes(Buffer.from("c/top ✓", "utf8"))).toBe(true);
    expect(bin.includes(Buffer.from("c/top ✓", "utf16le"))).toBe(false);
    // The specialized helper's literals are stored as UTF-8 (the value quoted) and not as UTF-16.
    expect(bin.includes(Buffer.from('"opened"', "utf8"))).toBe(true);
    expect(bin.includes(Buffer.from("opened", "utf16le"))).toBe(false);
    expect(bin.includes(Buffer.from("c/other", "utf16le"))).toBe(false);
  }, 60_000);

  it("gives a function returning only literals static texts where its value is only sent, and leaves the others as written", async () => {
    const tdir = join(work, "texts");
    textsProject(tdir);
    const r = await compileAssemblyScript({ baseDir: tdir, entry: "assembly/index.ts", runtime: "stub" });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const m = run(r.binary!);
    const text = (name: string, ...args: number[]) => m.call(name, ...args).text.toString();
    expect([0.5, 1.5, 5].map((v) => text("logZone", v))).toEqual(["zone Alpha.", "zone Beta ✓.", "zone Delta."]);
    expect([0.5, 1.5, 5].map((v) => text("logZoneDirect", v))).toEqual(["Alpha", "Beta ✓", "Delta"]);
    expect(text("jsonZone", 1.5)).toBe('z {"zone":"Beta ✓","v":1.5}');
    expect(text("jsonZone", 7)).toBe('z {"zone":"Delta","v":7.0}');
    expect(text("jsonFixed")).toBe('z {"zone":"Fixed","v":9.0}');
    expect([0.5, 2].map((v) => text("jsonQuote", v))).toEqual(['z {"q":"say \\"hi\\""}', 'z {"q":"plain"}']);
    expect([0.5, 2].map((v) => text("grade", v))).toEqual(["Gamma1", "Epsilon0"]);
    expect([0.5, 2].map((v) => text("shade", v))).toEqual(["Umber", "Ochre"]);
    const bin = Buffer.from(r.binary!);
    for (const t of ["Alpha", "Beta ✓", "Delta", "Fixed"]) {
      expect(bin.includes(Buffer.from(t, "utf8"))).toBe(true);
      expect(bin.includes(Buffer.from(t, "utf16le"))).toBe(false);
    }
    // The last code unit's high zero byte may fall to the trimmed segment end.
    for (const t of ["plain", "Gamma", "Epsilon", "Umber", "Ochre"]) expect(bin.includes(Buffer.from(t, "utf16le").subarray(0, -1))).toBe(true);
  }, 60_000);
});

function importsOf(binary: Uint8Array): WebAssembly.Imports {
  const imports: Record<string, Record<string, () => number>> = {};
  for (const i of WebAssembly.Module.imports(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>))) (imports[i.module] ??= {})[i.name] = () => 0;
  return imports;
}
