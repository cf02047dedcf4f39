// Cross-check against an independent encoder: binaryen assembles modules that
// use each rejected feature; the validator must name the feature and point at
// a byte that really starts the offending construct.
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { validateModule } from "../../src/validate/validate.js";

function assemble(text: string): Uint8Array {
  const m = binaryen.parseText(text);
  try {
    m.setFeatures(binaryen.Features.All);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

const INIT = `(func (export "fwx_init") (result i32) (i32.const 0))`;

describe("features in binaryen-encoded modules", () => {
  it.each([
    ["unsupported-simd", `(func $f (result i32) (i8x16.extract_lane_s 3 (i8x16.splat (i32.const 1))))`, [0xfd], /i8x16\.splat/],
    ["unsupported-tail-call", `(func $g) (func $f (return_call $g))`, [0x12], /return_call/],
    ["unsupported-reference-types", `(table 1 funcref) (func $f (result i32) (ref.is_null (table.get 0 (i32.const 0))))`, [0x25], /table\.get/],
    ["unsupported-gc", `(type $s (struct (field i32))) (func $f (result i32) (struct.get $s 0 (struct.new $s (i32.const 1))))`, [0xfb], /struct\.new/],
    ["unsupported-exception-handling", `(tag $e (param i32)) (func $f (try (do (throw $e (i32.const 1))) (catch_all)))`, [0x06], /try/],
    ["unsupported-threads", `(memory 1 1 shared) (func $f (result i32) (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))`, [0xfe], /i32\.atomic\.rmw\.add/],
    ["unsupported-bulk-memory-segments", `(memory 1) (data $d "hi") (func $f (memory.init $d (i32.const 0) (i32.const 0) (i32.const 2)))`, [0xfc], /memory\.init/],
  ])("%s", (code, funcs, firstBytes, name) => {
    const bytes = assemble(`(module ${funcs} ${INIT})`);
    const result = validateModule(bytes);
    expect(result.ok).toBe(false);
    const inBody = result.errors.filter((e) => e.code === code && e.funcIndex !== undefined);
    expect(inBody, JSON.stringify(result.errors)).toHaveLength(1);
    const e = inBody[0]!;
    expect(e.message).toMatch(name);
    expect(firstBytes).toContain(bytes[e.offset!]);
    expect(e.location).toMatch(/^function \d+/);
  });

  it("a binaryen-optimised MVP module passes", () => {
    const bytes = assemble(`(module (memory (export "memory") 1) (func (export "fwx_init") (result i32) (i32.add (i32.const 1) (i32.const 2))))`);
    expect(validateModule(bytes).errors).toEqual([]);
  });
});
