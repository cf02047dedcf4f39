// Prints, as one JSON object, each given module's function code ranges as
// src/wasm/reader.ts reads them ({ path: [[index, codeOffset, bodyEnd], ...] }):
// the independent implementation tests/c/run.mjs holds the C locator of
// crash-report frames (fwx_wasm_function_at) to.
import { readFileSync } from "node:fs";
import { parseModule } from "../../src/wasm/reader.js";

const out: Record<string, [number, number, number][]> = {};
for (const path of process.argv.slice(2)) {
  try {
    const m = parseModule(readFileSync(path), { decodeCode: false });
    out[path] = m.functions.filter((f) => !f.imported && f.codeOffset !== undefined && f.bodyEnd !== undefined && f.codeOffset < f.bodyEnd)
      .map((f) => [f.index, f.codeOffset!, f.bodyEnd!]);
  } catch {
    // Not readable by the TypeScript reader: no ranges to compare (the module check judged it).
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
