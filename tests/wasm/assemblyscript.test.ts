// Real compiler output: AssemblyScript 0.27 emits memory.copy/fill, a
// DataCount section and a start section, and imports env.abort unless abort
// is routed. The reader must decode every body of it.
import asc from "assemblyscript/asc";
import { beforeAll, describe, expect, it } from "vitest";
import { parseModule } from "../../src/wasm/reader.js";
import { validateModule } from "../../src/validate/validate.js";

const SOURCE = `
@external("fwx:core@1", "log")
declare function log(level: i32, message: usize, length: usize): i32;

const readings = new Array<f64>(0);

export function fwx_init(): i32 {
  readings.push(21.5);
  const text = String.UTF8.encode("started " + readings.length.toString());
  const copy = new Uint8Array(text.byteLength);
  memory.copy(copy.dataStart, changetype<usize>(text), <usize>text.byteLength);
  memory.fill(copy.dataStart, 0, 1);
  return log(1, copy.dataStart, <usize>copy.byteLength);
}
`;

async function compile(extraArgs: string[]): Promise<Uint8Array> {
  let binary: Uint8Array | undefined;
  const stderr: string[] = [];
  const { error } = await asc.main(
    ["module.ts", "--outFile", "module.wasm", "-O3", "--runtime", "stub", "--noAssert", ...extraArgs],
    {
      readFile: (name: string) => (name === "module.ts" ? SOURCE : null),
      writeFile: (name: string, contents: string | Uint8Array) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") binary = contents;
      },
      listFiles: () => [],
      stdout: { write: () => true } as never,
      stderr: { write: (s: string) => { stderr.push(String(s)); return true; } } as never,
    },
  );
  if (error || !binary) throw new Error(`asc failed: ${String(error)}\n${stderr.join("")}`);
  return binary;
}

describe("AssemblyScript output", () => {
  let routed: Uint8Array;
  let withAbort: Uint8Array;

  beforeAll(async () => {
    routed = await compile(["--use", "abort="]);
    withAbort = await compile([]);
  });

  it("decodes every function body of a real AS module", () => {
    const m = parseModule(routed);
    const defined = m.functions.filter((f) => !f.imported);
    expect(defined.length).toBeGreaterThanOrEqual(2);
    expect(defined.length).toBe(m.functions.length - m.imports.length);
    for (const f of defined) {
      expect(f.codeOffset).toBeGreaterThan(f.bodyOffset!);
      expect(f.bodyEnd).toBeGreaterThan(f.codeOffset!);
    }
    expect(m.sections.map((s) => s.name)).toEqual(expect.arrayContaining(["data count", "start"]));
    expect(m.dataCount).toBe(m.data.length);
    expect(m.start).not.toBeNull();
    const features = new Set(m.features.map((x) => x.feature));
    expect(features.has("bulk-memory")).toBe(true);
    // Cross-check against V8's own decoder.
    expect(WebAssembly.validate(routed as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it("accepts the module when abort is routed, and reports what it uses", () => {
    const result = validateModule(routed);
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.report.interfaces).toEqual([{ name: "core", major: 1, minor: 0 }]);
    expect(result.report.imports).toEqual([{ module: "fwx:core@1", name: "log", signature: "(i32, i32, i32) -> i32" }]);
    expect(result.report.flashBytes).toBe(routed.length);
    const m = parseModule(routed);
    const lastData = Math.max(...m.data.map((d) => d.offsetExpr!.value + d.size));
    expect(result.report.ram.dataEnd).toBe(lastData);
    expect(result.report.ram.heapBase).toBe(lastData);
    expect(result.report.ram.declaredPages).toBe(m.memories[0]!.initial);
  });

  it("reports env.abort with the fwx build hint when abort is not routed", () => {
    const result = validateModule(withAbort);
    expect(result.ok).toBe(false);
    const abort = result.errors.filter((e) => e.code === "import-not-in-abi");
    expect(abort).toHaveLength(1);
    expect(abort[0]!.importName).toBe("env.abort");
    expect(abort[0]!.message).toContain("fwx build");
    const m = parseModule(withAbort);
    expect(abort[0]!.offset).toBe(m.imports.find((i) => i.name === "abort")!.offset);
  });
});
