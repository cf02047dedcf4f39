// The operand-height pass (src/wasm/code-shape.ts) measures a body only when
// it knows every instruction's effect: each instruction of wasm3's feature set
// must have a fixed effect in opcodes.ts or be one the tracker works out from
// a type (blocks, branches, calls). A new supported instruction without one
// would leave bodies using it unmeasured, and past the C check's limits unseen.

import { describe, expect, it } from "vitest";
import { FEATURES } from "../../src/wasm/features.js";
import { PREFIXED, SINGLE, type OpInfo } from "../../src/wasm/opcodes.js";
import { parseModule } from "../../src/wasm/reader.js";
import { misbehaveOnTimer } from "../fixtures/hostile/modules.js";

const FROM_TYPES = new Set(["unreachable", "block", "loop", "if", "else", "end", "br", "br_if", "br_table", "return", "call", "call_indirect"]);

const all: OpInfo[] = [...SINGLE.filter((x): x is OpInfo => x !== undefined), ...Object.values(PREFIXED).flatMap((g) => [...g.ops.values()])];

describe("operand-stack effects of the instructions wasm3 runs", () => {
  it("every supported instruction has a fixed effect or one worked out from a type", () => {
    const supported = all.filter((o) => o.feature === undefined || FEATURES[o.feature].supported);
    expect(supported.length).toBeGreaterThan(180);
    const missing = supported.filter((o) => !o.stack && !FROM_TYPES.has(o.name)).map((o) => o.name);
    expect(missing).toEqual([]);
    // Typed select is reference types: not measured, refused for its feature.
    expect(all.filter((o) => o.stack && o.feature && !FEATURES[o.feature].supported)).toEqual([]);
  });

  it("a body with an instruction wasm3 lacks is not measured (it is refused for that)", () => {
    const simd = parseModule(misbehaveOnTimer([0xfd, 0x0c, ...new Array(16).fill(0), 0x1a]));
    expect(simd.functions[3]!.shape).toBeUndefined();
    const plain = parseModule(misbehaveOnTimer([0x41, 0, 0x41, 0, 0x6a, 0x1a]));
    expect(plain.functions[3]!.shape).toEqual({ maxOperands: 2, maxBlockDepth: 0 });
  });
});
