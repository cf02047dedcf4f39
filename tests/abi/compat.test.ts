// The compatibility check against host-abi/abi.lock.json: each kind of change
// fails without the bump it needs, and passes with it.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { AbiSpec } from "../../host-abi/schema.js";
import { abi } from "../../host-abi/spec/index.js";
import { checkCompat, requiredVersion } from "../../host-abi/gen/compat.js";
import { buildLock, formatLock, LockFormatError, parseLock } from "../../host-abi/gen/lock.js";
import { lowerAbi } from "../../host-abi/gen/lower.js";
import { fn, iface, specCopy } from "./helpers.js";

const released = buildLock(lowerAbi(abi));
const check = (spec: AbiSpec) => checkCompat(released, lowerAbi(spec));

/** Moves a whole interface to a new major: every item's since must follow. */
function bumpMajor(spec: AbiSpec, name: string, version: string) {
  const i = iface(spec, name);
  i.version = version;
  const items = [
    ...i.functions, ...(i.enums ?? []), ...(i.enums ?? []).flatMap((e) => e.cases), ...(i.flags ?? []),
    ...(i.flags ?? []).flatMap((f) => f.flags), ...(i.handles ?? []), ...(i.events ?? []), ...(i.capabilities ?? []),
  ];
  for (const item of items) item.since = version;
}

const toggle = (since: string) => ({
  name: "toggle", since, capability: "gpio", result: "status", doc: "Inverts an output pin.",
  params: [{ name: "handle", type: "handle<pin>", doc: "From claim." }],
  errors: [{ code: "unsupported", when: "the pin was claimed as an input" }],
  traps: [fn(abi, "gpio", "write").traps![0]!],
});

describe("compatibility check", () => {
  test("the unchanged spec has no changes and no violations", () => {
    expect(check(specCopy())).toEqual({ changes: [], violations: [] });
  });

  test("the committed lock accepts the current spec", () => {
    const text = readFileSync(join(import.meta.dirname, "../../host-abi/abi.lock.json"), "utf8");
    expect(checkCompat(parseLock(text, "host-abi/abi.lock.json"), lowerAbi(abi)).violations).toEqual([]);
  });

  test("a removed function needs a major bump", () => {
    const removed = specCopy((s) => { iface(s, "gpio").functions = iface(s, "gpio").functions.filter((f) => f.name !== "watch"); });
    expect(check(removed).violations).toEqual([
      'gpio.watch: released function removed (import "fwx:gpio@1" "watch"): a breaking change needs gpio 2.0.0 (is 1.0.0)',
    ]);
    const minorOnly = specCopy((s) => {
      iface(s, "gpio").functions = iface(s, "gpio").functions.filter((f) => f.name !== "watch");
      iface(s, "gpio").version = "1.1.0";
    });
    expect(check(minorOnly).violations).toEqual([
      'gpio.watch: released function removed (import "fwx:gpio@1" "watch"): a breaking change needs gpio 2.0.0 (is 1.1.0)',
    ]);
    const major = specCopy((s) => {
      iface(s, "gpio").functions = iface(s, "gpio").functions.filter((f) => f.name !== "watch");
      bumpMajor(s, "gpio", "2.0.0");
    });
    expect(check(major).violations).toEqual([]);
  });

  test("a changed parameter type needs a major bump", () => {
    const changed = specCopy((s) => { fn(s, "gpio", "write").params[1]!.type = "u8"; });
    expect(check(changed).violations).toEqual([
      "gpio.write: parameter level changed bool → u8: a breaking change needs gpio 2.0.0 (is 1.0.0)",
    ]);
  });

  test("a changed output type is breaking even when the flat signature stays the same", () => {
    const changed = specCopy((s) => { fn(s, "gpio", "read").outputs![0]!.type = "u32"; });
    expect(check(changed).violations).toEqual([
      "gpio.read: output level changed bool → u32: a breaking change needs gpio 2.0.0 (is 1.0.0)",
    ]);
  });

  test("a new function needs a minor bump and a since that says when it came", () => {
    const noBump = specCopy((s) => { iface(s, "gpio").functions.push(toggle("1.0.0") as never); });
    expect(check(noBump).violations).toEqual([
      "gpio.toggle: new function: an addition needs at least gpio 1.1.0 (is 1.0.0)",
      "gpio.toggle: new function has since 1.0.0, which is not newer than the released gpio 1.0.0; set since to the version that adds it (1.1.0)",
    ]);
    const patchOnly = specCopy((s) => { iface(s, "gpio").version = "1.0.1"; iface(s, "gpio").functions.push(toggle("1.0.1") as never); });
    expect(check(patchOnly).violations).toEqual(["gpio.toggle: new function: an addition needs at least gpio 1.1.0 (is 1.0.1)"]);
    const staleSince = specCopy((s) => { iface(s, "gpio").version = "1.1.0"; iface(s, "gpio").functions.push(toggle("1.0.0") as never); });
    expect(check(staleSince).violations).toEqual([
      "gpio.toggle: new function has since 1.0.0, which is not newer than the released gpio 1.0.0; set since to the version that adds it (1.1.0)",
    ]);
  });

  test("a new function with the correct bump passes and is reported as an unreleased change", () => {
    const ok = specCopy((s) => { iface(s, "gpio").version = "1.1.0"; iface(s, "gpio").functions.push(toggle("1.1.0") as never); });
    const result = check(ok);
    expect(result.violations).toEqual([]);
    expect(result.changes).toEqual([{ scope: "gpio", subject: "gpio.toggle", what: "new function", level: "minor" }]);
  });

  test("a status code value change is never allowed, not even with a major bump", () => {
    const changed = specCopy((s) => {
      s.statusCodes.find((c) => c.name === "noise")!.value = 25;
      s.version = "2.0.0";
      for (const c of s.statusCodes) c.since = "2.0.0";
      for (const l of s.lifecycle) l.since = "2.0.0";
    });
    const result = check(changed).violations;
    expect(result).toContain("status code noise: value changed 24 → 25: released status code values are permanent in every ABI version; add a new code instead");
  });

  test("a new status code needs an ABI patch bump", () => {
    const code = (since: string) => ({ name: "brownout", value: 25, since, group: "common" as const, doc: "Supply voltage dipped." });
    expect(check(specCopy((s) => { s.statusCodes.push(code("1.0.0")); })).violations).toEqual([
      "status code brownout: new status code (25): this needs at least ABI 1.0.1 (is 1.0.0)",
      "status code brownout: new status code has since 1.0.0, which is not newer than the released ABI 1.0.0; set since to the version that adds it (1.1.0)",
    ]);
    expect(check(specCopy((s) => { s.version = "1.0.1"; s.statusCodes.push(code("1.0.1")); })).violations).toEqual([]);
  });

  test("a status newly returned by a function needs a patch bump", () => {
    const added = specCopy((s) => { fn(s, "gpio", "read").errors.push({ code: "timeout", when: "the port expander did not answer" }); });
    expect(check(added).violations).toEqual(["gpio.read: may now return timeout: this needs at least gpio 1.0.1 (is 1.0.0)"]);
    const bumped = specCopy((s) => { iface(s, "gpio").version = "1.0.1"; fn(s, "gpio", "read").errors.push({ code: "timeout", when: "the port expander did not answer" }); });
    expect(check(bumped).violations).toEqual([]);
  });

  test("a new enum case needs a patch bump; a changed case value a major one", () => {
    const newCase = specCopy((s) => { iface(s, "uart").enums![0]!.cases.push({ name: "mark", value: 3, since: "1.0.0", doc: "Mark parity." }); });
    expect(check(newCase).violations).toContain("uart.enum<parity>: new case mark (3): this needs at least uart 1.0.1 (is 1.0.0)");
    const renumbered = specCopy((s) => { iface(s, "uart").enums![0]!.cases[2]!.value = 5; });
    expect(check(renumbered).violations).toEqual(["uart.enum<parity>: case odd changed 2 → 5: a breaking change needs uart 2.0.0 (is 1.0.0)"]);
  });

  test("a version going backwards is reported", () => {
    const lock = structuredClone(released);
    lock.interfaces.gpio!.version = "1.2.0";
    expect(checkCompat(lock, lowerAbi(abi)).violations).toContain("gpio: version went backwards: released 1.2.0, spec says 1.0.0");
  });

  test("required versions", () => {
    expect(requiredVersion("1.4.2", "major")).toBe("2.0.0");
    expect(requiredVersion("1.4.2", "minor")).toBe("1.5.0");
    expect(requiredVersion("1.4.2", "patch")).toBe("1.4.3");
  });
});

describe("lock file", () => {
  test("round-trips through its text form", () => {
    expect(parseLock(formatLock(released), "abi.lock.json")).toEqual(released);
  });

  test("a malformed lock is reported by file and JSON path", () => {
    const broken = JSON.parse(formatLock(released));
    delete broken.interfaces.gpio.functions.write.wasm3;
    expect(() => parseLock(JSON.stringify(broken), "host-abi/abi.lock.json")).toThrow(
      new LockFormatError("host-abi/abi.lock.json", "interfaces.gpio.functions.write.wasm3", "expected a string"),
    );
    expect(() => parseLock("{", "host-abi/abi.lock.json")).toThrow(/^host-abi\/abi\.lock\.json: \(root\): not valid JSON/);
  });
});
