// rustc's legacy symbol mangling, as a Rust module's name section keeps it,
// read back into the path the source spells (src/wasm/demangle.ts).
import { describe, expect, it } from "vitest";
import { demangle } from "../../src/wasm/demangle.js";

describe("demangle", () => {
  it("reads rustc's legacy symbols back into paths, without the hash", () => {
    expect(demangle("_ZN4core9panicking18panic_bounds_check17h85ba5634c84ff856E")).toBe("core::panicking::panic_bounds_check");
    expect(demangle("_ZN4core9panicking9panic_fmt17h9ec1c8305a7da9aeE")).toBe("core::panicking::panic_fmt");
    // Escapes: <, >, &, spaces (as $u20$), and `..` for `::` inside a component.
    expect(demangle("_ZN44_$LT$$RF$T$u20$as$u20$core..fmt..Display$GT$3fmt17h0123456789abcdefE")).toBe("<&T as core::fmt::Display>::fmt");
    expect(demangle("__ZN3foo3barE")).toBe("foo::bar");
  });

  it("leaves every other name as it is", () => {
    for (const name of ["fwx_on_timer", "assembly/index/fwx_on_timer", "~lib/typedarray/Uint8Array#__get", "_ZN3fooE_x", "_ZNE", "_ZN99fooE", "_ZN3f$XX$E", "_Z3foov",
      // A module's name section is its own: an escape past Unicode's last code point, or longer than any, is not one.
      "_ZN10f$u110000$E", "_ZN12f$u10000000$E", "_ZN18f$uffffffffffffff$E"]) {
      expect(demangle(name), name).toBe(name);
    }
  });
});
