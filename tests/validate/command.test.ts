import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/command.js";
import { command } from "../../src/commands/validate.js";
import { formatValidation } from "../../src/validate/validate.js";
import { I32 } from "../fixtures/wasm-builder.js";
import { addInit, baseModule, validate } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "fwx-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function validModule(): Uint8Array {
  const b = baseModule();
  b.importFunc("fwx:core@1", "log", [I32, I32, I32], [I32]);
  b.data(1024, [1, 2, 3, 4]);
  addInit(b);
  return b.build().bytes;
}

function systemModule() {
  const b = baseModule();
  b.importFunc("fwx:core@1", "log", [I32, I32, I32], [I32]);
  b.importFunc("fwx:core@1", "error_detail", [I32, I32, I32], [I32]);
  b.importFunc("env", "system", [I32], [I32]);
  addInit(b);
  return b.build();
}

async function run(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => { lines.push(a.join(" ")); });
  const code = await command.run(args);
  return { code, out: lines.join("\n") };
}

describe("formatValidation", () => {
  it("prints one line per problem naming byte, import and reason, then the report", () => {
    const { bytes, layout } = systemModule();
    const text = formatValidation(validate(bytes), "module.wasm");
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      `module.wasm: error at byte 0x${layout.imports[2]!.toString(16)} (import 2 "env.system"): import is not part of the fwx host ABI [import-not-in-abi]`,
    );
    expect(lines[1]).toBe("module.wasm: INVALID (1 error)");
    expect(text).toMatch(/flash +\d+ B/);
    expect(text).toContain("interfaces  core@1.0");
  });
});

describe("fwx validate", () => {
  it("exits 0 for a valid module and prints the report", async () => {
    const { code, out } = await run([file("ok.wasm", validModule())]);
    expect(code).toBe(0);
    expect(out).toContain("valid fwx module");
    expect(out).toContain("needs at least 1028 B (1.0 KiB) of a 65536 B (64.0 KiB) budget (static data only;");
    expect(out).toContain("interfaces  core@1.0");
  });

  it("exits 2 for an invalid module", async () => {
    const { code, out } = await run([file("bad.wasm", systemModule().bytes)]);
    expect(code).toBe(2);
    expect(out).toContain('(import 2 "env.system")');
  });

  it("exits 2 for a truncated module and says where", async () => {
    const bytes = validModule();
    const { code, out } = await run([file("cut.wasm", bytes.subarray(0, 20))]);
    expect(code).toBe(2);
    expect(out).toMatch(/error at byte 0x[0-9a-f]+: unreadable module: .*runs past the end/);
  });

  it("reports nothing it did not read: an unreadable module gets no memory, RAM, import or feature lines", async () => {
    const bytes = validModule();
    const { out } = await run([file("cut.wasm", bytes.subarray(0, 20))]);
    expect(out).toContain("flash       20 B");
    expect(out).toContain("not read past the error above");
    expect(out).not.toMatch(/^ {2}(RAM|memory|interfaces|imports|exports|features) /m);
  });

  it("--json prints the ValidationResult", async () => {
    const { code, out } = await run([file("ok.wasm", validModule()), "--json"]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(validate(validModule()))));
    expect(parsed.report.ram.dataEnd).toBe(1028);
  });

  it("--ram-budget applies the budget", async () => {
    const { code, out } = await run([file("ok.wasm", validModule()), "--ram-budget", "1k"]);
    expect(code).toBe(2);
    expect(out).toContain("[ram-over-budget]");
  });

  it.each([
    [[], /expected exactly one module file, got 0/],
    [["a.wasm", "b.wasm"], /got 2/],
    [["--frobnicate", "x.wasm"], /Unknown option/],
    [["x.wasm", "--ram-budget", "lots"], /invalid RAM budget "lots"/],
    [[join(dir, "missing.wasm")], /validate: .*missing\.wasm: no such file/],
  ])("usage errors: %j", async (args, message) => {
    await expect(command.run(args as string[])).rejects.toSatisfy((e: unknown) => e instanceof UsageError && message.test(e.message));
  });

  it("has real help text", () => {
    expect(command.help).toMatch(/^usage: fwx validate <module\.wasm>/);
    expect(command.help).toContain("exit codes:");
    expect(command.help).toContain("example:");
  });
});
