// Modules with exactly `n` of what one resource limit counts (src/validate/
// limits.ts), in an otherwise small module that both the validator and the C
// install check accept: for the limit tests in TypeScript alone
// (limits.test.ts) and against the C check (limits-agreement.test.ts).

import type { ModuleLimits } from "../../src/validate/limits.js";
import { I32, rawModule, section, str, u32, vec } from "../fixtures/wasm-builder.js";

export const TYPE_V_I32 = [0x60, 0, 1, I32]; // () -> i32
const TYPE_V = [0x60, 0, 0];
const END = 0x0b;
const activeAt0 = (payload: number[]) => [0x00, 0x41, 0x00, END, ...payload];

/** `n` of something in an otherwise small module; `kind` picks the section that holds them. */
export function moduleWith(limit: keyof ModuleLimits, n: number): Uint8Array {
  const types = section(1, vec([TYPE_V_I32]));
  const fn = section(3, vec([[0]]));
  const mem = section(5, vec([[0x00, 1]]));
  const code = (bodies: number[][]) => section(10, vec(bodies.map((b) => [...u32(b.length), ...b])));
  const init = [0, 0x41, 0, END];
  const exp = (extra: number[][] = []) => section(7, vec([[...str("fwx_init"), 0, 0], [...str("memory"), 2, 0], ...extra]));
  const custom = (name: string, size: number) => section(0, [...str(name), ...new Array(size).fill(0)]);
  switch (limit) {
    case "types": return rawModule(section(1, vec([TYPE_V_I32, ...Array.from({ length: n - 1 }, () => TYPE_V)])), fn, mem, exp(), code([init]));
    case "imports": return rawModule(section(1, vec([TYPE_V_I32, TYPE_V])), section(2, vec(Array.from({ length: n }, (_, i) => [...str("env"), ...str(`f${i}`), 0, 1]))), fn, mem, exp(), code([init]));
    case "functions": return rawModule(types, section(3, vec(Array.from({ length: n }, () => [0]))), mem, exp(), code(Array.from({ length: n }, () => init)));
    case "globals": return rawModule(types, fn, mem, section(6, vec(Array.from({ length: n }, () => [I32, 0, 0x41, 0, END]))), exp(), code([init]));
    case "exports": return rawModule(types, fn, mem, exp(Array.from({ length: n - 2 }, (_, i) => [...str(`e${i}`), 0, 0])), code([init]));
    case "tableEntries": return rawModule(types, fn, section(4, vec([[0x70, 0x00, ...u32(n)]])), mem, exp(), code([init]));
    case "elementSegments": return rawModule(types, fn, section(4, vec([[0x70, 0x00, 1]])), mem, exp(), section(9, vec(Array.from({ length: n }, () => activeAt0([0])))), code([init]));
    case "elementEntries": return rawModule(types, fn, section(4, vec([[0x70, 0x00, 1]])), mem, exp(), section(9, vec([activeAt0(vec(Array.from({ length: n }, () => [0])))])), code([init]));
    case "dataSegments": return rawModule(types, fn, mem, exp(), code([init]), section(11, vec(Array.from({ length: n }, () => activeAt0([0])))));
    case "bodyBytes": return rawModule(types, fn, mem, exp(), code([[0, ...new Array(n - 4).fill(0x01), 0x41, 0, END]]));
    case "localsPerFunction": return rawModule(types, fn, mem, exp(), code([[1, ...u32(n), I32, 0x41, 0, END]]));
    // n values pushed, then dropped; n blocks opened, then closed.
    case "operandStack": return rawModule(types, fn, mem, exp(), code([[0, ...new Array(n).fill([0x41, 0]).flat(), ...new Array(n).fill(0x1a), 0x41, 0, END]]));
    case "blockDepth": return rawModule(types, fn, mem, exp(), code([[0, ...new Array(n).fill([0x02, 0x40]).flat(), ...new Array(n).fill(END), 0x41, 0, END]]));
    case "nameSectionBytes": return rawModule(types, fn, mem, exp(), code([init]), custom("name", n));
    case "sectionBytes": return rawModule(types, fn, mem, exp(), code([init]), custom("blob", n));
    case "moduleBytes": {
      const base = rawModule(types, fn, mem, exp(), code([init]));
      // A custom section fills the module up to exactly n bytes.
      const rest = n - base.length;
      const sizeLen = u32(rest).length;
      let payload = rest - 1 - sizeLen;
      if (u32(payload).length !== sizeLen) payload -= 1;
      return Uint8Array.from([...base, ...section(0, [...str("pad"), ...new Array(payload - 4).fill(0)])].slice(0, n));
    }
  }
}
