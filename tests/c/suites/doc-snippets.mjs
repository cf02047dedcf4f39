// Keeps the firmware guide honest: every C block of docs/firmware.md (and of
// the reference pages it leads to) is compiled against the real firmware/
// headers, with the fake wasm3 header and the strict flags, as C99.
//
// A block is marked by the HTML comment right above it:
//   <!-- snippet: <unit> [body] [esp-idf] -->
// Blocks of the same unit are concatenated, in order, into one translation
// unit; `body` wraps the block in a function (statements shown on their
// own); `esp-idf` adds tests/c/docs/shim/ (declarations of the vendor APIs
// the ESP-IDF sketch calls). tests/c/docs/doc_snippets.h is force-included:
// it declares the helpers the guide leaves to the reader's firmware. A C
// block without a marker fails the suite, and #line directives make a
// compile error point at the Markdown line.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEVICE_SLOTS_DEFINES } from "../../../scripts/build-device.mjs";

const DOCS = ["firmware.md", "firmware-supervisor.md", "slot-store.md", "hal-bridge.md"];
const MARKER = /^<!--\s*snippet:\s*([a-z0-9-]+)((?:\s+[a-z0-9-]+)*)\s*-->$/;
const FLAGS = new Set(["body", "esp-idf"]);

/** The C blocks of one Markdown file: { unit, flags, line (1-based, first code line), code } or { error }. */
export function extractSnippets(text, file) {
  const lines = text.split("\n");
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```c\s*$/.test(lines[i])) continue;
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === "") j--;
    const m = j >= 0 ? MARKER.exec(lines[j].trim()) : null;
    const end = lines.findIndex((l, k) => k > i && /^```\s*$/.test(l));
    if (end < 0) {
      out.push({ error: `${file}:${i + 1}: C block is not closed` });
      break;
    }
    if (!m) out.push({ error: `${file}:${i + 1}: C block has no <!-- snippet: unit --> marker above it` });
    else {
      const flags = m[2].trim() ? m[2].trim().split(/\s+/) : [];
      const bad = flags.filter((f) => !FLAGS.has(f));
      if (bad.length) out.push({ error: `${file}:${j + 1}: unknown snippet flag(s) ${bad.join(", ")}` });
      else out.push({ unit: `${file.replace(/\.md$/, "")}-${m[1]}`, flags, file, line: i + 2, code: lines.slice(i + 1, end).join("\n") });
    }
    i = end;
  }
  return out;
}

/** One translation unit's source from its blocks, with #line pointing into the docs. */
export function unitSource(blocks) {
  let n = 0;
  return blocks.map((b) => {
    const at = `#line ${b.line} "docs/${b.file}"\n`;
    if (!b.flags.includes("body")) return `${at}${b.code}\n`;
    const fn = `doc_snippet_body_${++n}`;
    return `void ${fn}(void);\nvoid ${fn}(void)\n{\n${at}${b.code}\n}\n`;
  }).join("\n");
}

export default async function docSnippets(ctx) {
  const { root, here, build, exec, pass, fail, STRICT } = ctx;
  const out = join(build, "doc-snippets");
  mkdirSync(out, { recursive: true });
  const includes = ["-I", join(root, "firmware"), "-I", join(root, "firmware", "runtime"), "-I", join(root, "firmware", "runtime", "device"), "-I", join(here, "fake_wasm3"), "-I", join(here, "docs")];
  const shim = ["-I", join(here, "docs", "shim")];
  // Helpers a snippet shows may be called from another section (or the reader's code).
  // The device core compiles only on a slot store that fits it (fwx_device.h): the device build's layout, as firmware.md §3 says.
  const flags = ["-std=c99", ...STRICT, "-Wno-unused-function", ...DEVICE_SLOTS_DEFINES, "-include", "doc_snippets.h"];
  const compile = (src, esp) => exec("gcc", [...flags, ...includes, ...(esp ? shim : []), "-c", src, "-o", src.replace(/\.c$/, ".o")]);

  // The harness must be able to fail: a call with a wrong argument count does not compile.
  const broken = join(out, "self-check-broken.c");
  writeFileSync(broken, unitSource([{ file: "self-check.md", line: 1, flags: ["body"], code: "fwx_sup_init(&sup, NULL);" }]));
  const b = await compile(broken, false);
  if (b.status === 0) fail("doc-snippets: a snippet with a wrong call fails to compile (the harness can fail)");
  else if (!/docs\/self-check\.md:1/.test(b.err)) fail("doc-snippets: compile errors point at the Markdown line", b.err);
  else pass();
  const unmarked = extractSnippets("text\n```c\nint x;\n```\n", "t.md");
  if (unmarked.length === 1 && /no <!-- snippet/.test(unmarked[0].error ?? "")) pass();
  else fail("doc-snippets: an unmarked C block is an error", JSON.stringify(unmarked));

  const units = new Map();
  let blocks = 0;
  for (const doc of DOCS) {
    const text = readFileSync(join(root, "docs", doc), "utf8");
    for (const s of extractSnippets(text, doc)) {
      if (s.error) {
        fail(s.error);
        continue;
      }
      blocks++;
      if (!units.has(s.unit)) units.set(s.unit, []);
      units.get(s.unit).push(s);
    }
  }
  if (blocks < 8) fail(`doc-snippets: expected the guide's C blocks (at least 8), found ${blocks}`);
  const results = await Promise.all([...units].map(async ([unit, list]) => {
    const src = join(out, `${unit}.c`);
    writeFileSync(src, unitSource(list));
    return { unit, list, r: await compile(src, list.some((s) => s.flags.includes("esp-idf"))) };
  }));
  for (const { unit, list, r } of results) {
    if (r.status === 0) pass();
    else fail(`C snippets of unit "${unit}" (${list.map((s) => `docs/${s.file}:${s.line}`).join(", ")}) compile with the real headers`, r.err);
  }
}
