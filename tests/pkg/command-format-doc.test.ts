// docs/package-format.md, "Signed commands and device answers", is what the C
// device runtime implements signed commands from: its tables and its test
// vector are read here and checked against the code.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkOperatorCertificate, DEVCERT_KEYS, OPCERT_KEYS } from "../../src/pkg/identity.js";
import { DOMAIN, rawPublicKey } from "../../src/pkg/keys.js";
import { COMMAND_KEYS, STATEMENT_KEYS, commandSignatureValid, openCommand, verifyStatement } from "../../src/ota/signed-command.js";
import { buildCommandVector, command, deviceKey, operatorKey, root } from "./vectors/command.js";

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "package-format.md"), "utf8");
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function section(heading: string): string[] {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.startsWith("#") && l.replace(/^#+\s*/, "") === heading);
  if (start < 0) throw new Error(`docs/package-format.md has no heading "${heading}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+\s/.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

function tableRows(lines: string[]): string[][] {
  const start = lines.findIndex((l) => l.startsWith("|"));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith("|"));
  return lines.slice(start + 2, end < 0 ? undefined : end).map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
}

const words = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
const camelWords = (s: string) => words(s.replace(/([A-Z])/g, " $1"));

/** The hex block that follows "<label> (<n> bytes):" in the vector section. */
function block(label: string): { bytes: string; stated: number } {
  const lines = section("Command test vector");
  const at = lines.findIndex((l) => l.startsWith(`${label} (`));
  if (at < 0) throw new Error(`no "${label}" block in the command test vector`);
  const stated = Number(/\((\d+) bytes\)/.exec(lines[at]!)![1]);
  const open = lines.indexOf("```hex", at);
  const close = lines.indexOf("```", open + 1);
  return { bytes: lines.slice(open + 1, close).join(""), stated };
}

describe("docs/package-format.md: signed commands agree with the code", () => {
  it("gives each command-related signature domain's bytes", () => {
    const rows = tableRows(section("Signed commands and device answers"));
    const hexOf = (k: keyof typeof DOMAIN) => Buffer.from(DOMAIN[k], "latin1").toString("hex").replace(/(..)(?!$)/g, "$1 ");
    expect(rows.map(([d, , bytes]) => [d, bytes!.replace(/`/g, "")])).toEqual([
      ["operator certificate", hexOf("operatorCertificate")],
      ["device certificate", hexOf("deviceCertificate")],
      ["command", hexOf("command")],
      ["device statement", hexOf("deviceStatement")],
    ]);
  });

  it("numbers every map key as the codecs do", () => {
    const check = (heading: string, keys: Record<string, number>) => {
      const rows = tableRows(section(heading)).map(([k, field]) => [Number(k), words(field!.replace(/\s*\(optional\)$/, ""))] as const);
      expect(rows, heading).toEqual(Object.entries(keys).map(([name, k]) => [k, camelWords(name)]));
    };
    check("Operator certificate body (CBOR map)", OPCERT_KEYS);
    check("Device certificate body (CBOR map)", DEVCERT_KEYS);
    check("Command body (CBOR map)", COMMAND_KEYS);
    check("Device statement body (CBOR map)", STATEMENT_KEYS);
  });

  it("prints the test vector the code builds today", () => {
    const v = buildCommandVector();
    const text = section("Command test vector").join(" ");
    for (const k of [root, operatorKey, deviceKey]) expect(text).toContain(toHex(rawPublicKey(k)));
    const blocks: [string, Uint8Array][] = [
      ["operator certificate file", v.opCert], ["device certificate file", v.devCert], ["command body", v.body],
      ["signed command", v.signed], ["statement body", v.stBody], ["proof", v.proof],
    ];
    for (const [label, bytes] of blocks) {
      const b = block(label);
      expect(b.bytes, label).toBe(toHex(bytes));
      expect(b.stated, label).toBe(bytes.length);
    }
    expect(text).toContain(`SHA-256 of the command body: \`${toHex(v.statement.request)}\``);
  });

  it("verifies as the document says a device and a tool check it", () => {
    const v = buildCommandVector();
    const opened = openCommand(v.signed)!;
    expect(opened.body).toEqual(command);
    const nowMs = Date.UTC(2026, 5, 1);
    const op = checkOperatorCertificate(opened.operatorCert, { rootPublicKey: rawPublicKey(root), nowMs, op: "rollback", device: { id: "gw-17", customer: "acme-foods", group: "cold-store-3" } });
    expect(commandSignatureValid(opened, op.cert.operatorKey)).toBe(true);
    expect(() => checkOperatorCertificate(opened.operatorCert, { rootPublicKey: rawPublicKey(root), nowMs, op: "remove", device: { id: "gw-17", customer: "acme-foods", group: "cold-store-3" } })).toThrow(/may not remove/);
    expect(() => checkOperatorCertificate(opened.operatorCert, { rootPublicKey: rawPublicKey(root), nowMs, op: "rollback", device: { id: "gw-17", customer: "acme", group: "cold-store-3" } })).toThrow(/not certified for customer acme/);
    const st = verifyStatement(Buffer.from(v.proof).toString("base64"), Buffer.from(v.devCert).toString("base64"), { rootPublicKey: rawPublicKey(root), device: "gw-17", nowMs });
    expect(toHex(st.request)).toBe(toHex(opened.digest));
    expect(st.outcome).toBe("rolled-back");
  });
});
