// Every emitter's output is compared with the files under
// tests/abi/golden/<emitter-name>/<path>.golden. The suffix keeps tsc, asc and
// other globbing tools from treating golden copies of generated sources as
// part of the build. An intended change to the spec or to an emitter is
// accepted by refreshing them:
//
//   UPDATE_GOLDEN=1 npx vitest run tests/abi
//
// and reviewing the diff of tests/abi/golden/ like any other change.

import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, test } from "vitest";
import { abi } from "../../host-abi/spec/index.js";
import { emitters } from "../../host-abi/gen/emitters.js";
import { writeFileDurable } from "../../src/fs/durable.js";
import { collectOutputs, parseGeneratedHeader } from "../../host-abi/gen/gen-plan.js";
import { lowerAbi } from "../../host-abi/gen/lower.js";

const GOLDEN = join(import.meta.dirname, "golden");
const SUFFIX = ".golden";
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const HINT = "if the change is intended, refresh with: UPDATE_GOLDEN=1 npx vitest run tests/abi";
const lowered = lowerAbi(abi);

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"))
    .map((p) => (p.endsWith(SUFFIX) ? p.slice(0, -SUFFIX.length) : `${p} (stray file without the ${SUFFIX} suffix)`))
    .sort();
}

describe.each(emitters.map((e) => [e.name, e] as const))("emitter %s", (name, emitter) => {
  const files = emitter.emit(lowered);
  const dir = join(GOLDEN, name);

  test("output equals the golden files", () => {
    if (UPDATE) {
      rmSync(dir, { recursive: true, force: true });
      for (const f of files) writeFileDurable(join(dir, f.path + SUFFIX), f.content, { createDirs: true });
    }
    const produced = files.map((f) => f.path).sort();
    expect(produced, `the set of files emitter ${name} produces changed; ${HINT}`).toEqual(filesUnder(dir));
    for (const f of files) {
      expect(f.content, `${f.path} differs from tests/abi/golden/${name}/${f.path}${SUFFIX}; ${HINT}`).toBe(readFileSync(join(dir, f.path + SUFFIX), "utf8"));
    }
  });

  test("golden set is non-empty when the emitter produces files", () => {
    expect(filesUnder(dir).length > 0).toBe(files.length > 0);
  });

  test("every output starts with the generated header, sealed with the hash of the file's own text", () => {
    for (const f of collectOutputs(lowered, [{ name, emit: emitter.emit }])) {
      const header = parseGeneratedHeader(f.content);
      expect(header, `${f.path} has no generated header`).not.toBeNull();
      expect(header!.sealed, f.path).toBe(true);
    }
  });

  test("output is deterministic", () => {
    expect(emitter.emit(lowerAbi(structuredClone(abi)))).toEqual(files);
  });
});

test("golden directories exist only for registered emitters", () => {
  if (UPDATE) {
    for (const d of existsSync(GOLDEN) ? readdirSync(GOLDEN) : []) {
      if (!emitters.some((e) => e.name === d)) rmSync(join(GOLDEN, d), { recursive: true, force: true });
    }
  }
  const dirs = existsSync(GOLDEN) ? readdirSync(GOLDEN).sort() : [];
  const known = new Set(emitters.map((e) => e.name));
  expect(dirs.filter((d) => !known.has(d)), `golden files for emitters that no longer exist; ${HINT}`).toEqual([]);
});

test("the docs emitter covers every interface and the status codes", () => {
  const docs = emitters.find((e) => e.name === "docs")!.emit(lowered);
  const paths = docs.map((f) => f.path);
  expect(paths).toContain("docs/abi/README.md");
  expect(paths).toContain("docs/abi/status-codes.md");
  for (const i of lowered.interfaces) expect(paths).toContain(`docs/abi/${i.name}.md`);
  const gpio = docs.find((f) => f.path === "docs/abi/gpio.md")!.content;
  // Printed from the model: the import, the wasm3 string and every status with its value.
  expect(gpio).toContain('(import "fwx:gpio@1" "write" (func $gpio_write (param $handle i32) (param $level i32) (result i32)))');
  expect(gpio).toContain("`i(ii*)`");
  expect(gpio).toContain("| `unsupported` | 6 | the pin was claimed as an input |");
  expect(gpio).toContain("`[level_ptr, level_ptr + 4)`");
});
