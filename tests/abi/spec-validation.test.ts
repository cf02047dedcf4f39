// Broken copies of the real spec must be rejected with the exact item path of
// what is wrong, so a firmware engineer editing host-abi/spec/ is pointed at
// the line to fix.

import { describe, expect, test } from "vitest";
import { abi } from "../../host-abi/spec/index.js";
import { lowerAbi } from "../../host-abi/gen/lower.js";
import { TRAP_OUTPUT } from "../../host-abi/spec/common.js";
import { fn, iface, specCopy, specProblems } from "./helpers.js";

describe("spec validation names the broken item", () => {
  const cases: { name: string; mutate: Parameters<typeof specCopy>[0]; problem: string }[] = [
    {
      name: "unknown type",
      mutate: (s) => { fn(s, "gpio", "write").params[1]!.type = "boo"; },
      problem: 'interfaces[gpio].functions[write].params[level].type: unknown type "boo"',
    },
    {
      name: "reference to an undeclared enum",
      mutate: (s) => { fn(s, "uart", "open").params[2]!.type = "enum<parity-mode>"; },
      problem: 'interfaces[uart].functions[open].params[parity].type: no enum "parity-mode" in interface uart',
    },
    {
      name: "duplicate function",
      mutate: (s) => { iface(s, "gpio").functions.push(structuredClone(fn(s, "gpio", "write"))); },
      problem: 'interfaces[gpio].functions: duplicate function "write"',
    },
    {
      name: "missing function doc",
      mutate: (s) => { fn(s, "kv", "set").doc = "  "; },
      problem: "interfaces[kv].functions[set].doc: missing documentation",
    },
    {
      name: "missing parameter doc",
      mutate: (s) => { fn(s, "kv", "set").params[0]!.doc = ""; },
      problem: "interfaces[kv].functions[set].params[key].doc: missing documentation",
    },
    {
      name: "malformed since",
      mutate: (s) => { fn(s, "timer", "cancel").since = "1.0"; },
      problem: 'interfaces[timer].functions[cancel].since: "1.0" is not a MAJOR.MINOR.PATCH version',
    },
    {
      name: "since newer than the interface",
      mutate: (s) => { fn(s, "timer", "cancel").since = "1.2.0"; },
      problem: "interfaces[timer].functions[cancel].since: 1.2.0 is newer than its container's version 1.0.0",
    },
    {
      name: "unknown status code in errors",
      mutate: (s) => { fn(s, "gpio", "claim").errors.push({ code: "flaky", when: "sometimes" }); },
      problem: 'interfaces[gpio].functions[claim].errors[flaky]: unknown status code "flaky"',
    },
    {
      name: "ok listed as an error",
      mutate: (s) => { fn(s, "gpio", "claim").errors.push({ code: "ok", when: "always" }); },
      problem: 'interfaces[gpio].functions[claim].errors[ok]: "ok" is implied, do not list it',
    },
    {
      name: "enum parameter without invalid-arg",
      mutate: (s) => { const f = fn(s, "gpio", "claim"); f.errors = f.errors.filter((e) => e.code !== "invalid-arg"); },
      problem: "interfaces[gpio].functions[claim].errors: a parameter is range/enum/flags/UTF-8 checked, so invalid-arg must be listed",
    },
    {
      name: "event kind clash across interfaces",
      mutate: (s) => { iface(s, "uart").events![0]!.kind = 1; },
      problem: "events: duplicate event kind 1",
    },
    {
      name: "handle parameter without the foreign-handle trap",
      mutate: (s) => { fn(s, "gpio", "write").traps = []; },
      problem: "interfaces[gpio].functions[write].traps: takes a handle, so must document the foreign-handle trap",
    },
    {
      name: "memory parameter without the out-of-bounds trap",
      mutate: (s) => { fn(s, "kv", "delete").traps = []; },
      problem: "interfaces[kv].functions[delete].traps: takes guest memory, so must document the out-of-bounds trap",
    },
    {
      name: "undeclared capability",
      mutate: (s) => { fn(s, "gpio", "write").capability = "gpio-out"; },
      problem: 'interfaces[gpio].functions[write].capability: no capability "gpio-out" is declared',
    },
    {
      name: "duplicate status code value",
      mutate: (s) => { s.statusCodes.find((c) => c.name === "noise")!.value = 23; },
      problem: "statusCodes: duplicate value 23",
    },
    {
      name: "duplicate enum value",
      mutate: (s) => { iface(s, "gpio").enums![0]!.cases[4]!.value = 3; },
      problem: "interfaces[gpio].enums[pin-mode].cases: duplicate value 3",
    },
    {
      name: "outputs on a value function",
      mutate: (s) => { fn(s, "core", "now_ms").outputs = [{ name: "extra", type: "u32", doc: "x" }]; },
      problem: "interfaces[core].functions[now_ms].outputs: only status functions use out-pointers",
    },
    {
      name: "outputs on a never function",
      mutate: (s) => {
        const f = fn(s, "core", "fuel_exhausted");
        f.outputs = [{ name: "left", type: "u32", doc: "x" }];
        f.traps = [...(f.traps ?? []), TRAP_OUTPUT];
      },
      problem: "interfaces[core].functions[fuel_exhausted].outputs: only status functions use out-pointers",
    },
    {
      name: "capability that nothing enforces",
      mutate: (s) => { const f = fn(s, "timer", "cancel"); f.errors = f.errors.filter((e) => e.code !== "not-permitted"); },
      problem: "interfaces[timer].functions[cancel].errors: needs capability timer but takes no handle, so not-permitted must be listed",
    },
  ];

  test.each(cases)("$name", ({ mutate, problem }) => {
    const problems = specProblems(specCopy(mutate));
    expect(problems.some((p) => p === problem || p.startsWith(problem + " ")), `got:\n  ${problems.join("\n  ")}`).toBe(true);
  });

  test("every problem is reported at once, not only the first", () => {
    const problems = specProblems(specCopy((s) => {
      fn(s, "kv", "set").doc = "";
      fn(s, "timer", "cancel").since = "x";
    }));
    expect(problems).toContain("interfaces[kv].functions[set].doc: missing documentation");
    expect(problems).toContain('interfaces[timer].functions[cancel].since: "x" is not a MAJOR.MINOR.PATCH version');
  });

  test("the real spec is valid and the copies above did not touch it", () => {
    expect(() => lowerAbi(abi)).not.toThrow();
    expect(fn(abi, "gpio", "write").params[1]!.type).toBe("bool");
  });
});
