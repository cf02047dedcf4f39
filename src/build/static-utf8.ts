// An AssemblyScript compiler transform (afterParse) used by `fwx build`: SDK
// calls with a string literal get the literal's UTF-8, made at compile time,
// as static data (memory.data, no object header) instead of a UTF-16 string
// transcoded on every call:
//   Log.info("door opened")          -> Log.writeStatic(1, <utf8>, 11)
//   Telemetry.publishJson("a/b")     -> Telemetry.publishJsonStatic(<utf8>, 3)
//   Json.begin().num("temp_c", t, 2) -> Json.begin().numStatic(<"temp_c":>, 9, t, 2)
//                                       (also int, uint, str, bool)
//   Log.line(l).str(" Hz")...        -> Log.line(l).strStatic(<utf8>, 3)...
//   Config.getU32("period_s", 10)    -> Config.getU32Static(<utf8>, 8, 10) (also getNumber)
//   Kv.getU32("count", 0)            -> Kv.getU32Static(<utf8>, 5, 0) (also setU32)
//   Json.begin().str("state", "on")  -> Json.begin().fieldStatic(<"state":"on">, 12)
//   Sensor.find("cold_room")         -> Sensor.findStatic("cold_room", <utf8>, 9)
// A literal here may also be a string constant of the project's own files
// (`const TOPIC = "a/b"`, in the file or imported from one); those constants
// are compiled @lazy, so one used only in such calls leaves no UTF-16 copy.
// The integrator's source stays as written; what the host receives is byte
// for byte what the string path sends (a log line cut to the 256 bytes the
// host keeps at a character boundary, lone surrogates as U+FFFD, a JSON key
// escaped as Json escapes it). Each distinct text is stored once per file,
// however many calls use it.
//
// Only calls on the names a file imports from "fwx" are rewritten (a Json
// method only in a chain that starts at `Json.begin()`), and only in the
// project's own sources, not the SDK or the standard library, so a class of
// the integrator's own called Log is left alone.
import type { CallExpression, Expression, ImportStatement, Parser, Range, Source, StringLiteralExpression } from "assemblyscript";
import { rewriteStaticTexts, withParents, type SourceHelpers } from "./static-text.js";

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

/** LogLine's chainable methods (assembly/log.ts). */
const LOG_LINE_METHODS = new Set(["str", "strStatic", "strText", "int", "uint", "num", "hex", "bool"]);

/** Json's key-taking methods (assembly/json.ts); each has a `<name>Static` twin taking the quoted key's UTF-8. */
const JSON_METHODS = new Set(["num", "int", "uint", "str", "bool"]);

/**
 * A JSON object key as assembly/json.ts writes it: quoted, with quote and
 * backslash escaped by a backslash and other control characters as \u00xx,
 * then the colon.
 */
export function jsonKey(name: string): Uint8Array {
  return Uint8Array.from(Buffer.from(`${jsonString(name)}:`, "utf8"));
}

/** A JSON string as assembly/json.ts writes one (the text, before UTF-8): quoted, escaped as jsonKey says. */
function jsonString(text: string): string {
  let quoted = "";
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === "\\") quoted += "\\" + ch;
    else if (c < 0x20) quoted += "\\u00" + c.toString(16).padStart(2, "0");
    else quoted += ch;
  }
  return `"${quoted}"`;
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

/** Names declared in `source`, each with how many times (a variable, parameter, function, class or import). */
function declaredNames(as: AsModule, source: Source): Map<string, number> {
  const k = (as as unknown as Record<string, Record<string, number>>)["NodeKind"]!;
  const declaring = new Set([k["VariableDeclaration"], k["Parameter"], k["FunctionDeclaration"], k["ClassDeclaration"], k["ImportDeclaration"], k["EnumDeclaration"], k["NamespaceDeclaration"]]);
  const counts = new Map<string, number>();
  for (const node of nodes(source.statements)) {
    if (!declaring.has(node.kind)) continue;
    const name = (node as unknown as { name?: { text?: string } }).name?.text;
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/**
 * A resolver for identifiers that name a string constant of the project's own
 * files: `const NAME = "text"` at the top of the file, or imported from the
 * project file that declares it so (one step, no re-exports). Null for
 * anything else, and for a name the file declares more than once (a local
 * or parameter that could shadow the constant).
 */
function projectConstants(as: AsModule, parser: Parser): (source: Source, name: string) => string | null {
  const { NodeKind, LiteralKind } = kinds(as);
  const k = (as as unknown as Record<string, Record<string, number>>)["NodeKind"]!;
  const CONST = 8; // CommonFlags.Const
  const own = parser.sources.filter((s) => !s.normalizedPath.startsWith("~lib/"));
  const stringConstant = (d: { flags: number; initializer: Expression | null }): boolean => {
    const init = d.initializer as unknown as { kind: number; literalKind?: number } | null;
    return (d.flags & CONST) !== 0 && init !== null && init.kind === NodeKind.Literal && init.literalKind === LiteralKind.String;
  };
  const topLevel = new Map<string, Map<string, string>>();
  const declared = new Map<Source, Map<string, number>>();
  for (const source of own) {
    const constants = new Map<string, string>();
    for (const statement of source.statements) {
      if ((statement.kind as number) !== k["Variable"]) continue;
      for (const d of (statement as unknown as { declarations: { name: { text: string }; flags: number; type: unknown; initializer: Expression | null }[] }).declarations) {
        if (stringConstant(d)) constants.set(d.name.text, (d.initializer as unknown as { value: string }).value);
      }
      // @lazy, as the standard library's string constants are: compiled only where still read after
      // the rewrites below, so a constant used only in rewritten calls leaves no UTF-16 copy behind.
      for (const d of (statement as unknown as { declarations: { flags: number; initializer: Expression | null; decorators: unknown[] | null; range: Range }[] }).declarations) {
        if (stringConstant(d) && !d.decorators?.length) d.decorators = [...(d.decorators ?? []), as.Node.createDecorator(as.Node.createIdentifierExpression("lazy", d.range), null, d.range)];
      }
    }
    topLevel.set(source.internalPath, constants);
  }
  return (source, name) => {
    let names = declared.get(source);
    if (!names) declared.set(source, (names = declaredNames(as, source)));
    if (names.get(name) !== 1) return null;
    const local = topLevel.get(source.internalPath)?.get(name);
    if (local !== undefined) return local;
    for (const s of source.statements) {
      if ((s.kind as number) !== NodeKind.Import) continue;
      const imp = s as ImportStatement;
      const d = imp.declarations?.find((d) => d.name.text === name);
      if (d) return topLevel.get(imp.internalPath)?.get(d.foreignName.text) ?? null;
    }
    return null;
  };
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
  const memoryData = (bytes: Uint8Array, range: Range): Expression =>
    Node.createCallExpression(
      Node.createPropertyAccessExpression(Node.createIdentifierExpression("memory", range), Node.createIdentifierExpression("data", range), range),
      [Node.createNamedType(Node.createSimpleTypeName("u8", range), null, false, range)],
      [Node.createArrayLiteralExpression([...bytes].map((b) => Node.createIntegerLiteralExpression(i64(b, 0) as never, range)), range)],
      range,
    );
  const usizeType = (range: Range) => Node.createNamedType(Node.createSimpleTypeName("usize", range), null, false, range);
  /**
   * A file's pool of static texts: each distinct byte string once, as
   * `function __fwx_utf8_<n>(): usize { return memory.data<u8>([...]); }`
   * appended to the file, and every use a call to it. A function rather than
   * a top-level constant: AssemblyScript reserves a function's memory.data
   * only when the function is compiled, i.e. used, and the optimizer inlines
   * the call to the address. Measured: cold-chain repeats "temp_c": five times.
   */
  const texts = (source: Source) => {
    const pool = new Map<string, string>();
    return (bytes: Uint8Array, range: Range): Expression => {
      const key = Buffer.from(bytes).toString("hex");
      let name = pool.get(key);
      if (name === undefined) {
        name = `__fwx_utf8_${pool.size}`;
        pool.set(key, name);
        const signature = Node.createFunctionType([], usizeType(range), null, false, range);
        const body = Node.createBlockStatement([Node.createReturnStatement(memoryData(bytes, range), range)], range);
        source.statements.push(Node.createFunctionDeclaration(Node.createIdentifierExpression(name, range), null, 0, null, signature, body, 0, range));
      }
      return Node.createCallExpression(Node.createIdentifierExpression(name, range), null, [], range);
    };
  };
  const int = (v: number, range: Range): Expression => Node.createIntegerLiteralExpression(i64(v, 0) as never, range);

  /**
   * A private method's string parameter that only ever receives literals (or
   * the project's constants) and is only used as a telemetry topic or a JSON
   * string value becomes two parameters, the UTF-8 (for a value: quoted and
   * escaped) and its length, made at each call at compile time:
   *   private publishEvent(topic: string, what: string): void {
   *     Json.begin().str("event", what)...; Telemetry.publishJson(topic);
   *   }
   *   this.publishEvent("cold-chain/door", "closed");
   * sends the same bytes with no UTF-16 copy and no transcoding. Private, so
   * every call is in this file; any other use of the parameter or the method
   * (a method value, a default, a call with a computed argument) leaves it as written.
   */
  type Helpers = {
    stringLiteral(e: Expression | undefined): string | null;
    member(e: Expression): { receiver: Expression; method: string; call: CallExpression } | null;
    jsonChain(e: Expression): boolean;
    identifier(e: Expression): string | null;
    telemetryNames: Set<string>;
    utf8Args(bytes: Uint8Array, r: Range): Expression[];
  };
  const k = (as as unknown as Record<string, Record<string, number>>)["NodeKind"]!;
  const PRIVATE = 512; // CommonFlags.Private
  const STATIC = 32; // CommonFlags.Static
  const specializeStringParameters = (source: Source, h: Helpers): void => {
    const all = withParents(source.statements);
    for (const { node } of all) {
      if (node.kind !== k["MethodDeclaration"]) continue;
      const method = node as unknown as { name: { text: string }; flags: number; signature: { parameters: { parameterKind: number; name: { text: string }; type: { kind: number; name?: { identifier: { text: string }; next: unknown }; isNullable?: boolean }; initializer: unknown; range: Range }[] }; body: unknown };
      if (!(method.flags & PRIVATE) || method.flags & STATIC || !method.body) continue;
      const params = method.signature.parameters;
      // Calls of the method: `this.name(args)` with every argument there; any other mention disqualifies it.
      const calls: CallExpression[] = [];
      let plainCalls = true;
      for (const { node: n, parent } of all) {
        if (n.kind !== k["PropertyAccess"] || (n as unknown as { property: { text: string } }).property.text !== method.name.text) continue;
        const call = parent as CallExpression | null;
        const receiver = (n as unknown as { expression: { kind: number } }).expression;
        if (!call || (call.kind as number) !== k["Call"] || (call.expression as unknown) !== n || receiver.kind !== k["This"] || call.args.length !== params.length) plainCalls = false;
        else calls.push(call);
      }
      if (!plainCalls || !calls.length) continue;
      const body = withParents(method.body);
      const replaced: number[] = [];
      params.forEach((param, i) => {
        const t = param.type;
        if (param.parameterKind !== 0 || param.initializer || t.kind !== k["NamedType"] || t.isNullable || t.name?.identifier.text !== "string" || t.name.next) return;
        if (!calls.every((c) => h.stringLiteral(c.args[i]) !== null)) return;
        const name = param.name.text;
        // Its uses: each the topic of Telemetry.publishJson or the value of a Json chain's .str("key", p).
        let context: "topic" | "json" | null = null;
        const uses: { call: CallExpression; kind: "topic" | "json" }[] = [];
        let ok = true;
        for (const { node: n, parent } of body) {
          if (n.kind !== k["Identifier"] || (n as unknown as { text: string }).text !== name) continue;
          const m = parent && (parent as { kind: number }).kind === k["Call"] ? h.member(parent as unknown as Expression) : null;
          let kind: "topic" | "json" | null = null;
          if (m && m.call.args.length === 1 && (m.call.args[0] as unknown) === n && m.method === "publishJson" && h.telemetryNames.has(h.identifier(m.receiver) ?? "")) kind = "topic";
          else if (m && m.call.args.length === 2 && (m.call.args[1] as unknown) === n && m.method === "str" && h.stringLiteral(m.call.args[0]) !== null && h.jsonChain(m.receiver)) kind = "json";
          if (kind === null || (context !== null && context !== kind)) {
            ok = false;
            break;
          }
          context = kind;
          uses.push({ call: m!.call, kind });
        }
        // A declaration of the same name inside the body could shadow the parameter.
        if (body.some(({ node: n }) => (n.kind === k["VariableDeclaration"] || n.kind === k["Parameter"]) && (n as unknown as { name: { text: string } }).name.text === name)) ok = false;
        if (!ok || context === null) return;
        const r = param.range;
        const ptrName = `${name}__utf8`;
        const lenName = `${name}__length`;
        for (const use of uses) {
          const m = h.member(use.call as unknown as Expression)!;
          const mutable = use.call as unknown as { expression: Expression; args: Expression[] };
          const ptr = Node.createIdentifierExpression(ptrName, r);
          const len = Node.createIdentifierExpression(lenName, r);
          if (use.kind === "topic") {
            mutable.expression = Node.createPropertyAccessExpression(m.receiver, Node.createIdentifierExpression("publishJsonStatic", r), r);
            mutable.args = [ptr, len];
          } else {
            mutable.expression = Node.createPropertyAccessExpression(m.receiver, Node.createIdentifierExpression("strStaticQuoted", r), r);
            mutable.args = [...h.utf8Args(jsonKey(h.stringLiteral(use.call.args[0])!), r), ptr, len];
          }
          stats.rewritten++;
        }
        for (const call of calls) {
          const text = h.stringLiteral(call.args[i])!;
          const bytes = context === "topic" ? utf8Prefix(text, Infinity) : Uint8Array.from(Buffer.from(jsonString(text), "utf8"));
          (call as unknown as { args: Expression[] }).args[i] = Node.createCommaExpression(h.utf8Args(bytes, call.args[i]!.range), call.args[i]!.range);
        }
        replaced.push(i);
      });
      // Each replaced parameter becomes two, its UTF-8 and its length; each call's comma pair is spread.
      for (const i of replaced.reverse()) {
        const r = params[i]!.range;
        const usize = () => Node.createNamedType(Node.createSimpleTypeName("usize", r), null, false, r);
        params.splice(i, 1, Node.createParameter(0, Node.createIdentifierExpression(`${params[i]!.name.text}__utf8`, r), usize(), null, r) as never, Node.createParameter(0, Node.createIdentifierExpression(`${params[i]!.name.text}__length`, r), usize(), null, r) as never);
        for (const call of calls) {
          const args = (call as unknown as { args: Expression[] }).args;
          args.splice(i, 1, ...(args[i] as unknown as { expressions: Expression[] }).expressions);
        }
      }
    }
  };

  return {
    afterParse(parser: Parser): void {
      const constant = projectConstants(as, parser);
      // Per file: what it imports from "fwx" and the rewrites that need it. Each file's private
      // helpers are specialized first, then the literal-valued functions (static-text.ts, across
      // files), then the calls themselves.
      const prepared = new Map<Source, { helpers: SourceHelpers; rewriteCalls(): void }>();
      for (const source of parser.sources) {
        if (source.normalizedPath.startsWith("~lib/")) continue;
        const logNames = importedAs(as, source, "Log");
        const telemetryNames = importedAs(as, source, "Telemetry");
        const jsonNames = importedAs(as, source, "Json");
        const configNames = importedAs(as, source, "Config");
        const kvNames = importedAs(as, source, "Kv");
        const sensorNames = importedAs(as, source, "Sensor");
        // A file importing nothing from "fwx" is prepared too: a literal-valued function may live there.
        const identifier = (e: Expression): string | null => ((e.kind as number) === NodeKind.Identifier ? (e as unknown as { text: string }).text : null);
        /** The text of a string literal, or of an identifier naming a string constant of the project's (projectConstants). */
        const stringLiteral = (e: Expression | undefined): string | null => {
          if (!e) return null;
          if ((e.kind as number) === NodeKind.Literal && (e as unknown as { literalKind: number }).literalKind === LiteralKind.String) return (e as StringLiteralExpression).value;
          const name = identifier(e);
          return name === null ? null : constant(source, name);
        };
        /** `receiver.method(args)` parts of a call, or null. */
        const member = (e: Expression): { receiver: Expression; method: string; call: CallExpression } | null => {
          if ((e.kind as number) !== NodeKind.Call) return null;
          const call = e as unknown as CallExpression;
          if ((call.expression.kind as number) !== NodeKind.PropertyAccess || call.typeArguments?.length) return null;
          const access = call.expression as unknown as { expression: Expression; property: { text: string } };
          return { receiver: access.expression, method: access.property.text, call };
        };
        /** Whether `e` is `Json.begin()` followed by Json's own chained methods. */
        const jsonChain = (e: Expression): boolean => {
          for (;;) {
            const m = member(e);
            if (!m) return false;
            if (m.method === "begin") return m.call.args.length === 0 && jsonNames.has(identifier(m.receiver) ?? "");
            if (!JSON_METHODS.has(m.method.replace(/Static$/, "")) && m.method !== "fieldStatic" && m.method !== "strStaticQuoted" && m.method !== "strTextStatic") return false;
            e = m.receiver;
          }
        };
        /** Whether `e` is `Log.line(level)` followed by LogLine's own chained methods. */
        const logLineChain = (e: Expression): boolean => {
          for (;;) {
            const m = member(e);
            if (!m) return false;
            if (m.method === "line") return m.call.args.length === 1 && logNames.has(identifier(m.receiver) ?? "");
            if (!LOG_LINE_METHODS.has(m.method)) return false;
            e = m.receiver;
          }
        };
        const rewrite = (call: CallExpression, receiver: Expression, method: string, args: Expression[]): void => {
          const mutable = call as unknown as { expression: Expression; args: Expression[] };
          mutable.expression = Node.createPropertyAccessExpression(receiver, Node.createIdentifierExpression(method, call.expression.range), call.expression.range);
          mutable.args = args;
          stats.rewritten++;
        };
        const staticBytes = texts(source);
        const utf8Args = (bytes: Uint8Array, r: Range): Expression[] => [bytes.length ? staticBytes(bytes, r) : int(0, r), int(bytes.length, r)];

        specializeStringParameters(source, { stringLiteral, member, jsonChain, identifier, telemetryNames, utf8Args });
        const rewriteCalls = (): void => {
          // Walked over a copy: the pool appends its functions to the file.
          for (const node of nodes([...source.statements])) {
            const m = member(node as unknown as Expression);
            if (!m) continue;
            const { call, receiver, method } = m;
            const first = stringLiteral(call.args[0]);
            if (first === null) continue;
            const r = call.args[0]!.range;
            const owner = identifier(receiver);
            if (owner !== null && logNames.has(owner) && LOG_LEVELS[method] !== undefined && call.args.length === 1) {
              rewrite(call, receiver, "writeStatic", [int(LOG_LEVELS[method]!, r), ...utf8Args(utf8Prefix(first, LOG_LINE_CAP), r)]);
            } else if (owner !== null && telemetryNames.has(owner) && method === "publishJson" && call.args.length === 1) {
              rewrite(call, receiver, "publishJsonStatic", utf8Args(utf8Prefix(first, Infinity), r));
            } else if (owner !== null && configNames.has(owner) && (method === "getNumber" || method === "getU32") && call.args.length === 2) {
              rewrite(call, receiver, `${method}Static`, [...utf8Args(utf8Prefix(first, Infinity), r), call.args[1]!]);
            } else if (method === "str" && call.args.length === 1 && logLineChain(receiver)) {
              rewrite(call, receiver, "strStatic", utf8Args(utf8Prefix(first, Infinity), r));
            } else if (owner !== null && sensorNames.has(owner) && method === "find" && call.args.length === 1) {
              // The name as written too: a Sensor keeps it.
              rewrite(call, receiver, "findStatic", [call.args[0]!, ...utf8Args(utf8Prefix(first, Infinity), r)]);
            } else if (owner !== null && kvNames.has(owner) && (method === "getU32" || method === "setU32") && call.args.length === 2) {
              rewrite(call, receiver, `${method}Static`, [...utf8Args(utf8Prefix(first, Infinity), r), call.args[1]!]);
            } else if (method === "str" && call.args.length === 2 && stringLiteral(call.args[1]) !== null && jsonChain(receiver)) {
              // Key and value both known: the whole field, "key":"value", is one static text.
              rewrite(call, receiver, "fieldStatic", utf8Args(Uint8Array.from(Buffer.from(`${jsonString(first)}:${jsonString(stringLiteral(call.args[1])!)}`, "utf8")), r));
            } else if (JSON_METHODS.has(method) && jsonChain(receiver)) {
              rewrite(call, receiver, `${method}Static`, [...utf8Args(jsonKey(first), r), ...call.args.slice(1)]);
            }
          }
        };
        prepared.set(source, { helpers: { stringLiteral, member, jsonChain, logLineChain, utf8Args }, rewriteCalls });
      }
      stats.rewritten += rewriteStaticTexts(as, parser, (source) => prepared.get(source)?.helpers ?? null);
      for (const { rewriteCalls } of prepared.values()) rewriteCalls();
    },
  };
}
