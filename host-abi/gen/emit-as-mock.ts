// Emits assembly/testing/mock-glue.generated.js: the import glue of the
// as-pect host mock. For every ABI function it records the call, enforces the
// contract the real host enforces (pointers in bounds and owned handles, else
// a trap; enum/flags/range/bool/UTF-8 checks, else invalid-arg), honours a
// forced status set by the spec (Mock.failNext), then hands decoded values to
// the simulated device in assembly/testing/sim-device.js and stores its
// outputs through the out-pointers. Generated, so the mock can never drift
// from the ABI the real host implements.

import type { GeneratedFile } from "./emitter.js";
import { generatedHeader } from "./header.js";
import type { LoweredAbi, LoweredFunction, LoweredParam } from "./lower.js";
import { camel } from "./names.js";

const GENERATOR = "emit-as-mock";
export const AS_MOCK_GLUE_PATH = "assembly/testing/mock-glue.generated.js";

/**
 * Statements for one parameter (the traps come from the lowered plan, in
 * functionGlue). "check": turn the raw wasm arguments into
 * `v_<name>`, returning invalid-arg early for a bad value. "decode": the same
 * values without the checks, for functions that never return and so cannot
 * answer with a status.
 */
function lowerParamChecks(p: LoweredParam, f: LoweredFunction, abi: LoweredAbi, phase: "check" | "decode"): string[] {
  const name = p.spec.name;
  const key = `${f.iface}.${f.name}`;
  const invalid = abi.statusByName.get("invalid-arg")!.value;
  const lines: string[] = [];
  const m = p.marshal;
  const bad = (cond: string, why: string) => {
    if (phase === "check") lines.push(`if (${cond}) return host.finish(call, ${invalid}, ${JSON.stringify(`${name}: ${why}`)});`);
  };
  switch (m.kind) {
    case "int":
      if (m.wasm === "i64") lines.push(`const v_${name} = ${m.scalar === "u64" ? "BigInt.asUintN(64, " + name + ")" : "BigInt.asIntN(64, " + name + ")"};`);
      else if (m.range) {
        lines.push(`const v_${name} = ${m.range[0] < 0 ? `${name} | 0` : `${name} >>> 0`};`);
        bad(`v_${name} < ${m.range[0]} || v_${name} > ${m.range[1]}`, `outside ${m.scalar} range ${m.range[0]}..${m.range[1]}`);
      } else lines.push(`const v_${name} = ${m.scalar.startsWith("i") ? `${name} | 0` : `${name} >>> 0`};`);
      break;
    case "float":
      lines.push(`const v_${name} = ${name};`);
      break;
    case "bool":
      bad(`${name} !== 0 && ${name} !== 1`, "not 0 or 1");
      lines.push(`const v_${name} = ${name} === 1;`);
      break;
    case "enum":
      bad(`![${m.values.join(", ")}].includes(${name} | 0)`, `not a ${m.name} value`);
      lines.push(`const v_${name} = ${name} | 0;`);
      break;
    case "flags":
      bad(`((${name} >>> 0) & ~${m.mask}) !== 0`, `bits outside the ${m.name} flags`);
      lines.push(`const v_${name} = ${name} >>> 0;`);
      break;
    case "handle":
      lines.push(`const v_${name} = ${name} >>> 0;`);
      break;
    case "string":
      lines.push(`const v_${name} = host.readString(${name}_ptr, ${name}_len);`);
      bad(`v_${name} === null`, "not valid UTF-8");
      break;
    case "buffer":
      lines.push(`const v_${name} = host.view(${name}_ptr, ${name}_len);`);
      break;
    case "mut-buffer":
      lines.push(`const v_${name} = host.view(${name}_ptr, ${name}_len);`);
      break;
  }
  return lines;
}

function functionGlue(f: LoweredFunction, abi: LoweredAbi): string {
  const key = `${f.iface}.${f.name}`;
  const args = f.flat.params.map((p) => p.name);
  const body: string[] = [];
  body.push(`const call = host.enter(${JSON.stringify(key)}, ${args.length ? `{ ${args.join(", ")} }` : "{}"});`);
  // The contract checks that trap, in the lowered plan's order (check-plan.ts).
  for (const c of f.checks) {
    if (c.step !== "trap") continue;
    if (c.check === "bounds") body.push(`host.checkRange(${JSON.stringify(key)}, ${JSON.stringify(c.param.spec.name)}, ${c.param.spec.name}_ptr, ${c.param.spec.name}_len);`);
    else if (c.check === "out-pointer") body.push(`host.checkRange(${JSON.stringify(key)}, ${JSON.stringify(c.output.pointer)}, ${c.output.pointer}, ${c.output.size});`);
    else if (c.param.marshal.kind === "handle") body.push(`host.checkHandle(${JSON.stringify(key)}, ${JSON.stringify(`${f.iface}.${c.param.marshal.name}`)}, ${c.param.spec.name} >>> 0);`);
  }
  const implArgs = f.params.map((p) => `v_${p.spec.name}`);

  if (f.resultKind === "never") {
    for (const p of f.params) body.push(...lowerParamChecks(p, f, abi, "decode"));
    body.push(`host.sim.${camel(f.iface)}.${camel(f.name)}(${implArgs.join(", ")});`);
    body.push(`throw host.trap(${JSON.stringify(key)}, "the host ends the callback");`);
  } else if (f.resultKind === "value") {
    body.push(`return host.finish(call, host.sim.${camel(f.iface)}.${camel(f.name)}(${implArgs.join(", ")}));`);
  } else {
    body.push(`const forced = host.forced(${JSON.stringify(key)});`);
    body.push(`if (forced !== undefined) return host.finish(call, forced, "forced by the spec");`);
    for (const p of f.params) body.push(...lowerParamChecks(p, f, abi, "check"));
    if (f.outputs.length) body.push("const out = {};");
    body.push(`const status = host.sim.${camel(f.iface)}.${camel(f.name)}(${[...implArgs, ...(f.outputs.length ? ["out"] : [])].join(", ")});`);
    for (const o of f.outputs) {
      const field = camel(o.spec.name);
      // ok stores every output; a failure stores only what the device set
      // (no-space reports the size needed through the length output).
      body.push(`if (status === 0 || out.${field} !== undefined) host.store${o.store.toUpperCase()}(${o.pointer}, out.${field} ?? 0);`);
    }
    body.push("return host.finish(call, status);");
  }
  return `    ${f.name}(${args.join(", ")}) {\n${body.map((l) => `      ${l}`).join("\n")}\n    },`;
}

export function emitAsMock(abi: LoweredAbi): GeneratedFile[] {
  const modules = abi.interfaces.map(
    (i) => `  ${JSON.stringify(i.module)}: {\n${i.functions.map((f) => functionGlue(f, abi)).join("\n")}\n  },`,
  );
  const statuses = abi.statusCodes.map((s) => `  ${JSON.stringify(s.name)}: ${s.value},`).join("\n");
  const functions = abi.functions
    .map((f) => `  ${JSON.stringify(`${f.iface}.${f.name}`)}: { module: ${JSON.stringify(f.module)}, name: ${JSON.stringify(f.name)}, statuses: ${JSON.stringify(f.statuses)} },`)
    .join("\n");
  const content = `${generatedHeader(GENERATOR, "//")}
// Import glue of the as-pect host mock. \`host\` is the MockHost of
// assembly/testing/mock-host.js; it owns memory access, handles, call records
// and the simulated device.

/** Status codes by ABI name. */
export const STATUS = Object.freeze({
${statuses}
});

/** Every ABI function by "<interface>.<function>" with its wasm import and the statuses it may return. */
export const FUNCTIONS = Object.freeze({
${functions}
});

/** The wasm import object for all fwx:* modules, bound to one MockHost. */
export function createAbiImports(host) {
  return {
${modules.join("\n").replace(/^/gm, "  ")}
  };
}
`;
  return [{ path: AS_MOCK_GLUE_PATH, content }];
}
