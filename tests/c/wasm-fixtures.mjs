// Hand-assembled wasm modules for the firmware's install-time module check,
// each with what the check must say about it. Assembled byte by byte here,
// independent of the project's TypeScript encoders, so the C reader is tested
// against the formats themselves.

const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c;

export function u32(n) {
  const out = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

const utf8 = (s) => [...new TextEncoder().encode(s)];
const name = (s) => [...u32(utf8(s).length), ...utf8(s)];
const vec = (items) => [...u32(items.length), ...items.flat()];
const section = (id, body) => [id, ...u32(body.length), ...body];
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

const typeSection = (types) => section(1, vec(types.map(([p, r]) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))])));
const funcImport = (module, field, typeIndex) => [...name(module), ...name(field), 0x00, ...u32(typeIndex)];
const importSection = (imports) => section(2, vec(imports));
const customSection = (n, payload) => section(0, [...name(n), ...payload]);
/** fwx.abi payload: u8 format 1, varu32 count, { name, varu32 major, varu32 minor }* — entries given already sorted. */
const abiPayload = (entries) => [1, ...u32(entries.length), ...entries.flatMap(([n, major, minor]) => [...name(n), ...u32(major), ...u32(minor)])];
const abiSection = (entries) => customSection("fwx.abi", abiPayload(entries));
const module = (...sections) => Uint8Array.from([...HEADER, ...sections.flat()]);
const functionSection = (typeIndices) => section(3, vec(typeIndices.map((t) => u32(t))));
const exportSection = (exports) => section(7, vec(exports.map(([n, kind, index]) => [...name(n), kind, ...u32(index)])));
/** One body per defined function: no locals, `i32.const 0` when it returns an i32, then `end`. */
const codeSection = (returnsI32) => section(10, vec(returnsI32.map((r) => {
  const body = [0x00, ...(r ? [0x41, 0x00] : []), 0x0b];
  return [...u32(body.length), ...body];
})));

// Types used below.
const T_II_I = [[I32, I32], [I32]];     // 0: gpio.write
const T_NONE_I64 = [[], [I64]];         // 1: core.now_ms
const T_ABORT = [[I32, I32, I32, I32, I32, I32], []]; // 2: core.abort
const T_I_I64_I = [[I32, I64], [I32]];  // 3: a wrong gpio.write
const T_F_V = [[F32, F64], []];         // 4: odd types
const T_INIT = [[], [I32]];             // 5: fwx_init
const T_ON_TIMER = [[I32], []];         // 6: fwx_on_timer
const TYPES = typeSection([T_II_I, T_NONE_I64, T_ABORT, T_I_I64_I, T_F_V, T_INIT, T_ON_TIMER]);
/** Function, export and code sections of a module that defines fwx_init (and optionally more). */
const lifecycle = (importedFunctions, exports = [["fwx_init", 5]]) => [
  ...functionSection(exports.map(([, t]) => t)),
  ...section(5, [1, 0x00, 1]), // one page: modules that pass pointers need a memory
  ...exportSection(exports.map(([n], i) => [n, 0x00, importedFunctions + i])),
  ...codeSection(exports.map(([, t]) => t === 5)),
];

const validImports = [
  funcImport("fwx:gpio@1", "write", 0),
  funcImport("fwx:core@1", "now_ms", 1),
  funcImport("fwx:core@1", "abort", 2),
];

const ok = (offered = "1.0") => ({ verdict: "ok", offered });

/** [name, bytes, expected check result (a subset of check_tool's JSON)] */
export function fixtures() {
  const valid = module(TYPES, importSection(validImports), lifecycle(3), abiSection([["core", 1, 0], ["gpio", 1, 0]]));
  const importStart = HEADER.length + TYPES.length;
  const list = [
    ["valid", valid, {
      accepted: true, error: "ok", hasAbiSection: true,
      imports: [{ module: "fwx:gpio@1", name: "write", ...ok() }, { module: "fwx:core@1", name: "now_ms", ...ok() }, { module: "fwx:core@1", name: "abort", ...ok() }],
      requirements: [{ name: "core", verdict: "ok", offered: "1.0" }, { name: "gpio", verdict: "ok", offered: "1.0" }],
      exports: { fwx_init: "ok", fwx_on_timer: "absent", fwx_on_event: "absent", fwx_health: "absent", fwx_deinit: "absent" },
    }],
    ["no-imports-no-abi-section", module(TYPES, lifecycle(0)), { accepted: true, error: "ok", hasAbiSection: false, imports: [], requirements: [] }],
    ["all-lifecycle-exports", module(TYPES, lifecycle(0, [["fwx_init", 5], ["fwx_on_timer", 6], ["fwx_health", 5], ["fwx_deinit", 5]])), {
      accepted: false, exports: { fwx_init: "ok", fwx_on_timer: "ok", fwx_health: "ok", fwx_deinit: "signature-mismatch" },
    }],
    ["missing-fwx-init", module(TYPES, lifecycle(0, [["fwx_on_timer", 6]])), {
      accepted: false, error: "ok", exports: { fwx_init: "missing", fwx_on_timer: "ok" },
    }],
    ["fwx-init-wrong-signature", module(TYPES, lifecycle(0, [["fwx_init", 6]])), {
      accepted: false, error: "ok", exports: { fwx_init: "signature-mismatch" },
    }],
    ["fwx-init-is-an-imported-function", module(TYPES, importSection([funcImport("fwx:gpio@1", "write", 0)]), exportSection([["fwx_init", 0x00, 0]])), {
      accepted: false, imports: [ok()], exports: { fwx_init: "signature-mismatch" },
    }],
    ["fwx-init-exported-as-memory", module(TYPES, section(5, vec([[0x00, 0x01]])), exportSection([["fwx_init", 0x02, 0]])), {
      accepted: false, exports: { fwx_init: "not-a-function" },
    }],
    ["export-function-index-out-of-range", module(TYPES, exportSection([["fwx_init", 0x00, 3]])), {
      accepted: false, error: "malformed",
    }],
    ["lifecycle-export-twice", module(TYPES, functionSection([5]), exportSection([["fwx_init", 0x00, 0], ["fwx_init", 0x00, 0]]), codeSection([true])), {
      accepted: false, error: "malformed",
    }],
    ["env-system", module(TYPES, importSection([funcImport("env", "system", 0)])), {
      accepted: false, error: "ok", imports: [{ module: "env", name: "system", verdict: "not-fwx" }],
    }],
    ["env-abort-next-to-valid", module(TYPES, importSection([...validImports, funcImport("env", "abort", 2)])), {
      accepted: false, error: "ok", imports: [ok(), ok(), ok(), { module: "env", name: "abort", verdict: "not-fwx" }],
    }],
    ["wrong-signature", module(TYPES, importSection([funcImport("fwx:gpio@1", "write", 3)])), {
      accepted: false, error: "ok", imports: [{ name: "write", verdict: "signature-mismatch", offered: "1.0" }],
    }],
    ["wrong-result-type", module(TYPES, importSection([funcImport("fwx:core@1", "now_ms", 0)])), {
      accepted: false, imports: [{ name: "now_ms", verdict: "signature-mismatch" }],
    }],
    ["unknown-interface", module(TYPES, importSection([funcImport("fwx:foo@1", "bar", 0)])), {
      accepted: false, error: "ok", imports: [{ module: "fwx:foo@1", verdict: "unknown-interface" }],
    }],
    ["newer-major", module(TYPES, importSection([funcImport("fwx:gpio@2", "write", 0)])), {
      accepted: false, error: "ok", imports: [{ module: "fwx:gpio@2", verdict: "major-mismatch", offered: "1.0" }],
    }],
    ["leading-zero-major", module(TYPES, importSection([funcImport("fwx:gpio@01", "write", 0)])), {
      accepted: false, imports: [{ verdict: "not-fwx" }],
    }],
    ["unknown-function", module(TYPES, importSection([funcImport("fwx:gpio@1", "frobnicate", 0)])), {
      accepted: false, error: "ok", imports: [{ name: "frobnicate", verdict: "unknown-function", offered: "1.0" }],
    }],
    ["memory-import", module(TYPES, importSection([[...name("env"), ...name("memory"), 0x02, 0x00, ...u32(1)]])), {
      accepted: false, error: "ok", imports: [{ name: "memory", kind: 2, verdict: "not-a-function" }],
    }],
    ["global-import", module(TYPES, importSection([[...name("env"), ...name("g"), 0x03, I32, 0x00]])), {
      accepted: false, imports: [{ kind: 3, verdict: "not-a-function" }],
    }],
    ["truncated-import-section", valid.slice(0, importStart + 12), { accepted: false, error: "truncated" }],
    ["import-section-size-past-end", module(TYPES, [2, ...u32(500), ...vec([funcImport("fwx:gpio@1", "write", 0)])]), {
      accepted: false, error: "truncated", errorOffset: importStart,
    }],
    ["leb-overflow-import-count", module(TYPES, section(2, [0xff, 0xff, 0xff, 0xff, 0x7f])), {
      accepted: false, error: "leb-overflow", errorOffset: importStart + 2,
    }],
    ["leb-six-bytes", module(TYPES, section(2, [0x80, 0x80, 0x80, 0x80, 0x80, 0x00])), { accepted: false, error: "leb-overflow" }],
    ["type-index-out-of-range", module(TYPES, importSection([funcImport("fwx:gpio@1", "write", 7)])), {
      accepted: false, error: "malformed", errorOffset: importStart + 3,
    }],
    ["import-before-type-section", module(importSection([funcImport("fwx:gpio@1", "write", 0)]), TYPES), {
      accepted: false, error: "malformed",
    }],
    ["import-without-type-section", module(importSection([funcImport("fwx:gpio@1", "write", 0)])), { accepted: false, error: "malformed" }],
    ["bad-import-kind", module(TYPES, importSection([[...name("env"), ...name("x"), 0x07, 0x00]])), { accepted: false, error: "malformed" }],
    ["unknown-section-id", module(TYPES, section(14, [0])), { accepted: false, error: "malformed" }],
    ["import-name-not-utf8", module(TYPES, importSection([[1, 0xff, ...name("write"), 0x00, 0]])), { accepted: false, error: "malformed" }],
    ["not-wasm", Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0]), { accepted: false, error: "not-wasm" }],
    ["wasm-version-2", Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]), { accepted: false, error: "not-wasm", errorOffset: 4 }],
    ["too-many-imports", module(TYPES, importSection(Array.from({ length: 257 }, () => funcImport("fwx:gpio@1", "write", 0)))), {
      accepted: false, error: "too-many-imports",
    }],
    ["abi-newer-minor", module(TYPES, importSection(validImports), abiSection([["core", 1, 0], ["gpio", 1, 5]])), {
      accepted: false, error: "ok", imports: [ok(), ok(), ok()],
      requirements: [{ name: "core", verdict: "ok" }, { name: "gpio", major: 1, minor: 5, verdict: "newer-minor", offered: "1.0" }],
    }],
    ["abi-unknown-interface", module(TYPES, abiSection([["foo", 1, 0]])), {
      accepted: false, requirements: [{ name: "foo", verdict: "unknown-interface" }],
    }],
    ["abi-newer-major", module(TYPES, abiSection([["gpio", 2, 0]])), {
      accepted: false, requirements: [{ name: "gpio", verdict: "major-mismatch", offered: "1.0" }],
    }],
    ["abi-unsorted", module(TYPES, abiSection([["gpio", 1, 0], ["core", 1, 0]])), {
      accepted: false, error: "bad-abi-section", abiError: "fwx.abi entries are not sorted and unique",
    }],
    ["abi-twice", module(TYPES, abiSection([["core", 1, 0]]), abiSection([["core", 1, 0]])), {
      accepted: false, error: "bad-abi-section", abiError: "module has more than one fwx.abi section",
    }],
    ["abi-bad-format", module(TYPES, customSection("fwx.abi", [2, 0])), { accepted: false, error: "bad-abi-section" }],
    ["abi-trailing-bytes", module(TYPES, customSection("fwx.abi", [...abiPayload([["core", 1, 0]]), 0])), {
      accepted: false, error: "bad-abi-section", abiError: "fwx.abi section has bytes after its last entry",
    }],
    ["other-custom-sections-ignored", module(customSection("name", [0, 1, 0]), TYPES, customSection("producers", [0]), lifecycle(0)), { accepted: true }],
    ["odd-value-types-in-type-section", module(typeSection([T_F_V, [[F32], [F64]], T_INIT]), functionSection([2]), exportSection([["fwx_init", 0, 0]]), codeSection([true])), { accepted: true }],
  ];
  return list.map(([n, bytes, expect]) => ({ name: n, bytes, expect }));
}

/** The modules of fixtures() that are well-formed, for the C truncation and corruption sweep. */
export function wellFormed() {
  return fixtures().filter((f) => f.expect.error === "ok" || f.expect.accepted === true);
}
