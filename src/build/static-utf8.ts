// An AssemblyScript compiler transform (afterParse) used by `fwx build`: a
// log call with a string literal, `Log.info("door opened")`, becomes
// `Log.writeStatic(1, memory.data<u8>([...UTF-8 bytes]), 11)`. The literal is
// then stored once as UTF-8 with no object header, instead of as UTF-16 with
// one and transcoded on every call. The integrator's source stays as written;
// what the host receives is byte for byte what Log.write would have sent
// (cut to the 256 bytes the host keeps at a character boundary, lone
// surrogates as U+FFFD).
//
// Only calls on the name a file imports as `Log` from "fwx" are rewritten,
// and only in the project's own sources (not the SDK or the standard
// library), so a class of the integrator's own called Log is left alone.
import type { CallExpression, Expression, ImportStatement, Parser, Range, Source, StringLiteralExpression } from "assemblyscript";

type AsModule = typeof import("assemblyscript");
/** The enums are `const enum`s in the compiler's typings; at run time they are plain objects. */
const kinds = (as: AsModule) => ({
  NodeKind: (as as unknown as Record<string, unknown>)["NodeKind"] as Record<"Import" | "Call" | "PropertyAccess" | "Identifier" | "Literal", number>,
  LiteralKind: (as as unknown as Record<string, unknown>)["LiteralKind"] as Record<"String", number>,
});

/** Log's level methods and the level each writes at (assembly/raw/types.ts LogLevel). */
const LOG_LEVELS: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** The host keeps at most this many bytes of a line (assembly/log.ts LINE_CAP). */
export const LOG_LINE_CAP = 256;

/**
 * `text` as UTF-8, lone surrogates as U+FFFD (as the SDK's encoder writes
 * it), cut at a character boundary to at most `cap` bytes.
 */
export function utf8Prefix(text: string, cap: number): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const bytes = Buffer.from(ch, "utf8"); // a lone surrogate encodes as EF BF BD
    if (out.length + bytes.length > cap) break;
    out.push(...bytes);
  }
  return Uint8Array.from(out);
}

/** The local names under which `source` imports `name` from "fwx". */
function importedAs(as: AsModule, source: Source, name: string): Set<string> {
  const names = new Set<string>();
  for (const s of source.statements) {
    if (s.kind !== kinds(as).NodeKind.Import) continue;
    const imp = s as ImportStatement;
    if (imp.path.value !== "fwx" || !imp.declarations) continue;
    for (const d of imp.declarations) if (d.foreignName.text === name) names.add(d.name.text);
  }
  return names;
}

/** Every AST node under `root`, depth first (the AST has no generic walker; ranges point back to the source, so they are skipped). */
function* nodes(root: unknown, seen = new Set<unknown>()): Generator<{ kind: number }> {
  if (root === null || typeof root !== "object" || seen.has(root)) return;
  seen.add(root);
  if (Array.isArray(root)) {
    for (const item of root) yield* nodes(item, seen);
    return;
  }
  const node = root as { kind?: unknown };
  if (typeof node.kind === "number") yield node as { kind: number };
  for (const [key, value] of Object.entries(root)) {
    if (key === "range" || key === "source") continue;
    if (value !== null && typeof value === "object") yield* nodes(value, seen);
  }
}

export interface StaticUtf8Stats {
  /** Log calls rewritten to static UTF-8. */
  rewritten: number;
}

/**
 * Creates the transform instance for one compile (asc's `transforms` API
 * option). `as` is the loaded compiler module, whose Node factory builds the
 * replacement nodes.
 */
export function staticUtf8Transform(as: AsModule, stats: StaticUtf8Stats = { rewritten: 0 }): { afterParse(parser: Parser): void } {
  const { Node } = as;
  const { NodeKind, LiteralKind } = kinds(as);
  // asc's JS build represents an i64 through this global (glue/js/i64.js).
  const i64 = (globalThis as unknown as { i64_new(lo: number, hi: number): unknown }).i64_new;
  const staticBytes = (bytes: Uint8Array, range: Range): Expression =>
    Node.createCallExpression(
      Node.createPropertyAccessExpression(Node.createIdentifierExpression("memory", range), Node.createIdentifierExpression("data", range), range),
      [Node.createNamedType(Node.createSimpleTypeName("u8", range), null, false, range)],
      [Node.createArrayLiteralExpression([...bytes].map((b) => Node.createIntegerLiteralExpression(i64(b, 0) as never, range)), range)],
      range,
    );
  const int = (v: number, range: Range): Expression => Node.createIntegerLiteralExpression(i64(v, 0) as never, range);

  return {
    afterParse(parser: Parser): void {
      for (const source of parser.sources) {
        if (source.normalizedPath.startsWith("~lib/")) continue;
        const logNames = importedAs(as, source, "Log");
        if (!logNames.size) continue;
        for (const node of nodes(source.statements)) {
          if (node.kind !== NodeKind.Call) continue;
          const call = node as unknown as CallExpression;
          const callee = call.expression;
          if ((callee.kind as number) !== NodeKind.PropertyAccess || call.args.length !== 1 || call.typeArguments?.length) continue;
          const access = callee as unknown as { expression: Expression; property: { text: string } };
          const level = LOG_LEVELS[access.property.text];
          if (level === undefined || (access.expression.kind as number) !== NodeKind.Identifier) continue;
          if (!logNames.has((access.expression as unknown as { text: string }).text)) continue;
          const arg = call.args[0]!;
          if ((arg.kind as number) !== NodeKind.Literal || (arg as unknown as { literalKind: number }).literalKind !== LiteralKind.String) continue;
          const bytes = utf8Prefix((arg as StringLiteralExpression).value, LOG_LINE_CAP);
          const r = arg.range;
          const mutable = call as unknown as { expression: Expression; args: Expression[] };
          mutable.expression = Node.createPropertyAccessExpression(access.expression, Node.createIdentifierExpression("writeStatic", r), callee.range);
          mutable.args = [int(level, r), bytes.length ? staticBytes(bytes, r) : int(0, r), int(bytes.length, r)];
          stats.rewritten++;
        }
      }
    },
  };
}
