// Function names as a person reads them in a crash report. rustc's default
// ("legacy") symbol mangling, kept in a module's name section, turns
// `core::panicking::panic_bounds_check` into
// `_ZN4core9panicking18panic_bounds_check17h85ba5634c84ff856E`. Only that form
// is rewritten; any other name (AssemblyScript's, C's, Rust's #[no_mangle]
// exports) is returned as it is.

const ESCAPES: Record<string, string> = {
  SP: "@", BP: "*", RF: "&", LT: "<", GT: ">", LP: "(", RP: ")", C: ",",
};

/** One path component with rustc's `$..$` escapes and `..` (for `::`) decoded; null when an escape is unknown. */
function component(raw: string): string | null {
  // rustc puts "_" before a component that would start with an escape.
  const text = raw.startsWith("_$") ? raw.slice(1) : raw;
  let out = "";
  for (let i = 0; i < text.length;) {
    if (text.startsWith("..", i)) { out += "::"; i += 2; continue; }
    if (text[i] === "$") {
      const end = text.indexOf("$", i + 1);
      if (end < 0) return null;
      const code = text.slice(i + 1, end);
      const u = /^u([0-9a-f]{1,6})$/.exec(code);
      // The name section is the module's own bytes: a code point past Unicode's would make fromCodePoint throw.
      const cp = u ? parseInt(u[1]!, 16) : -1;
      const ch = u ? (cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined) : ESCAPES[code];
      if (ch === undefined) return null;
      out += ch;
      i = end + 1;
      continue;
    }
    out += text[i];
    i++;
  }
  return out;
}

/** `_ZN4core9panicking9panic_fmt17h9ec1c8305a7da9aeE` → `core::panicking::panic_fmt`; other names unchanged. */
export function demangle(name: string): string {
  const m = /^_?_ZN(.*)E$/.exec(name);
  if (!m) return name;
  const body = m[1]!;
  const parts: string[] = [];
  for (let i = 0; i < body.length;) {
    const len = /^\d+/.exec(body.slice(i));
    if (!len) return name;
    const start = i + len[0].length, n = Number(len[0]);
    if (n === 0 || start + n > body.length) return name;
    parts.push(body.slice(start, start + n));
    i = start + n;
  }
  // The last component is a hash that tells instances apart: no help in reading the stack.
  if (parts.length > 1 && /^h[0-9a-f]{16}$/.test(parts[parts.length - 1]!)) parts.pop();
  const decoded = parts.map(component);
  return decoded.some((p) => p === null) || !parts.length ? name : decoded.join("::");
}
