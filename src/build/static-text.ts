// Part of fwx build's static-UTF-8 transform (static-utf8.ts): a project
// function whose every return is a string literal, e.g.
//   export function zoneOf(v: f64, b: f64, c: f64, d: f64): string {
//     if (v < b) return "A"; ... return "D";
//   }
// is a choice among texts known at compile time. When every value it returns
// only goes to SDK calls that send text (a Log.line chain's .str(x), a Json
// chain's .str("key", x)), directly, through a `const` local, or through a
// project's private method parameter, the function returns the address of a
// static text instead (one length byte, then the UTF-8), and those calls take
// it (LogLine.strText, Json.strTextStatic). The host receives the same bytes;
// nothing is transcoded or escaped at run time, and no UTF-16 copy is kept.
//
// All or nothing per function: one use of its value that is not one of those
// (a comparison, a concatenation, a field, a method value, a public method)
// leaves the function and every use as written. Only texts of at most 255
// bytes that JSON stores without an escape qualify.
import type { CallExpression, Expression, Parser, Range, Source } from "assemblyscript";
import { jsonKey } from "./static-utf8.js";

type AsModule = typeof import("assemblyscript");
type AnyNode = { kind: number; range: Range } & Record<string, unknown>;

/** What the caller (static-utf8.ts) knows about one project source. */
export interface SourceHelpers {
  /** The text of a string literal or of a project string constant named here, else null. */
  stringLiteral(e: Expression | undefined): string | null;
  /** `receiver.method(args)` parts of a call, or null. */
  member(e: Expression): { receiver: Expression; method: string; call: CallExpression } | null;
  /** Whether `e` is a `Json.begin()` chain / a `Log.line(level)` chain. */
  jsonChain(e: Expression): boolean;
  logLineChain(e: Expression): boolean;
  /** (address, length) of static UTF-8 bytes (the file's pool). */
  utf8Args(bytes: Uint8Array, r: Range): Expression[];
}

const MAX_TEXT = 255;
const CONST = 8; // CommonFlags.Const
const PRIVATE = 512; // CommonFlags.Private
const STATIC = 32; // CommonFlags.Static
const EXPORT = 2; // CommonFlags.Export
const USER_ENTRY = 1; // SourceKind.UserEntry: its exports are the module's

/** The text as UTF-8 when it qualifies (no JSON escape needed, at most 255 bytes), else null. */
export function staticText(text: string): Uint8Array | null {
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || ch === '"' || ch === "\\") return null;
  }
  const bytes = Uint8Array.from(Buffer.from(text.replace(/[\ud800-\udfff]/gu, "\ufffd"), "utf8"));
  return bytes.length <= MAX_TEXT ? bytes : null;
}

/** Every node under `root` with its parent node (ranges and sources skipped: they point back up; the AST's own walker is not exported). */
export function withParents(root: unknown): { node: AnyNode; parent: AnyNode | null }[] {
  const out: { node: AnyNode; parent: AnyNode | null }[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, parent: AnyNode | null): void => {
    if (value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const item of value) walk(item, parent);
      return;
    }
    const isNode = typeof (value as { kind?: unknown }).kind === "number";
    if (isNode) out.push({ node: value as AnyNode, parent });
    for (const [key, child] of Object.entries(value)) {
      if (key === "range" || key === "source") continue;
      walk(child, isNode ? (value as AnyNode) : parent);
    }
  };
  walk(root, null);
  return out;
}

/** Rewrites the project's literal-valued functions as the file comment says; returns how many calls it rewrote. */
export function rewriteStaticTexts(as: AsModule, parser: Parser, helpersOf: (source: Source) => SourceHelpers | null): number {
  const { Node } = as;
  const k = (as as unknown as Record<string, Record<string, number>>)["NodeKind"]!;
  const i64 = (globalThis as unknown as { i64_new(lo: number, hi: number): unknown }).i64_new;
  const own = parser.sources.filter((s) => !s.normalizedPath.startsWith("~lib/"));
  const walked = new Map(own.map((s) => [s, withParents(s.statements)] as const));
  const text = (h: SourceHelpers, e: unknown): Uint8Array | null => {
    const t = h.stringLiteral(e as Expression);
    return t === null ? null : staticText(t);
  };
  let rewritten = 0;
  let pooled = 0;
  const parents = new Map<unknown, Map<AnyNode, AnyNode | null>>();
  const pools = new Map<Source, Map<string, string>>();

  for (const source of own) {
    const h = helpersOf(source);
    if (!h) continue;
    for (const statement of [...source.statements]) {
      if ((statement.kind as number) !== k["FunctionDeclaration"]) continue;
      const fn = statement as unknown as AnyNode & { flags: number; name: { text: string }; typeParameters: unknown[] | null; signature: { returnType: AnyNode & { name?: { identifier: { text: string }; next: unknown }; isNullable?: boolean } }; body: AnyNode | null };
      const rt = fn.signature.returnType;
      if ((fn.flags & EXPORT && (source.sourceKind as number) === USER_ENTRY) || !fn.body || fn.typeParameters?.length || rt.kind !== k["NamedType"] || rt.isNullable || rt.name?.identifier.text !== "string" || rt.name.next) continue;
      const body = withParents(fn.body);
      const returns = body.filter(({ node }) => node.kind === k["Return"]);
      if (!returns.length || body.some(({ node }) => node.kind === k["Function"])) continue;
      if (!returns.every(({ node }) => text(h, node["value"]) !== null)) continue;
      const plan = planUses(fn.name.text, source);
      if (!plan) continue;

      // The function: returns the address of each text.
      for (const { node } of returns) node["value"] = record(text(h, node["value"])!, node.range, source);
      fn.signature.returnType = usize(rt.range) as never;
      for (const local of plan.locals) local["type"] = null;
      for (const param of plan.params) param["type"] = usize(param.range);
      for (const { at, index, source: s } of plan.literalArgs) {
        const args = at["args"] as Expression[];
        args[index] = record(text(helpersOf(s)!, args[index])!, args[index]!.range, s);
      }
      for (const { call, receiver, kind, helpers } of new Map(plan.sinks.map((sink) => [sink.call, sink] as const)).values()) {
        const args = call["args"] as Expression[];
        const r = call.range;
        if (kind === "log") {
          call["expression"] = Node.createPropertyAccessExpression(receiver, Node.createIdentifierExpression("strText", r), r);
        } else {
          call["expression"] = Node.createPropertyAccessExpression(receiver, Node.createIdentifierExpression("strTextStatic", r), r);
          call["args"] = [...helpers.utf8Args(jsonKey(helpers.stringLiteral(args[0])!), r), args[1]!];
        }
        rewritten++;
      }
    }
  }
  return rewritten;

  function usize(r: Range): unknown {
    return Node.createNamedType(Node.createSimpleTypeName("usize", r), null, false, r);
  }

  /** `__fwx_text_<n>()`: a function appended to `source` returning the address of [length, ...bytes] (inlined to the address). */
  function record(bytes: Uint8Array, r: Range, source: Source): Expression {
    let pool = pools.get(source);
    if (!pool) pools.set(source, (pool = new Map()));
    const key = Buffer.from(bytes).toString("hex");
    const known = pool.get(key);
    if (known !== undefined) return Node.createCallExpression(Node.createIdentifierExpression(known, r), null, [], r);
    const name = `__fwx_text_${pooled++}`;
    pool.set(key, name);
    const data = Node.createCallExpression(
      Node.createPropertyAccessExpression(Node.createIdentifierExpression("memory", r), Node.createIdentifierExpression("data", r), r),
      [Node.createNamedType(Node.createSimpleTypeName("u8", r), null, false, r)],
      [Node.createArrayLiteralExpression([bytes.length, ...bytes].map((b) => Node.createIntegerLiteralExpression(i64(b, 0) as never, r)), r)],
      r,
    );
    const signature = Node.createFunctionType([], usize(r) as never, null, false, r);
    const body = Node.createBlockStatement([Node.createReturnStatement(data, r)], r);
    source.statements.push(Node.createFunctionDeclaration(Node.createIdentifierExpression(name, r), null, 0, null, signature, body, 0, r));
    return Node.createCallExpression(Node.createIdentifierExpression(name, r), null, [], r);
  }

  /**
   * Where the value of every call of `name` (declared in `home`) goes, when
   * each place is one the file comment allows; null otherwise.
   */
  function planUses(name: string, home: Source) {
    type Sink = { call: AnyNode; receiver: Expression; kind: "log" | "json"; helpers: SourceHelpers };
    const sinks: Sink[] = [];
    const locals = new Set<AnyNode>();
    const params = new Set<AnyNode>();
    const literalArgs: { at: AnyNode; index: number; source: Source }[] = [];
    const doneParams = new Set<AnyNode>();
    /** Each holder's name and the bodies it is declared in (a local's function, a parameter's method). */
    const holders = new Map<string, Set<AnyNode>>();
    const hold = (holder: string, body: AnyNode): void => {
      if (!holders.has(holder)) holders.set(holder, new Set());
      holders.get(holder)!.add(body);
    };

    /** Checks where a text value at `node` (a call of the function, or a use of a holder) goes. */
    const goes = (node: AnyNode, parent: AnyNode | null, source: Source, h: SourceHelpers, body: AnyNode, scope: { node: AnyNode; parent: AnyNode | null }[]): boolean => {
      if (!parent) return false;
      if (parent.kind === k["Call"]) {
        const call = parent as unknown as CallExpression & AnyNode;
        const args = call.args as unknown as AnyNode[];
        const m = h.member(call as unknown as Expression);
        if (m && m.method === "str" && args.length === 1 && args[0] === node && h.logLineChain(m.receiver)) {
          sinks.push({ call, receiver: m.receiver, kind: "log", helpers: h });
          return true;
        }
        if (m && m.method === "str" && args.length === 2 && args[1] === node && text(h, args[0]) !== null && h.jsonChain(m.receiver)) {
          sinks.push({ call, receiver: m.receiver, kind: "json", helpers: h });
          return true;
        }
        const index = args.indexOf(node);
        if (m && index >= 0 && (m.receiver.kind as number) === k["This"]) return intoParam(m.method, index, source, h);
        return false;
      }
      if (parent.kind === k["VariableDeclaration"] && parent["initializer"] === node) {
        const t = parent["type"] as (AnyNode & { name?: { identifier: { text: string }; next: unknown }; isNullable?: boolean }) | null;
        if (!((parent["flags"] as number) & CONST)) return false;
        if (t && (t.kind !== k["NamedType"] || t.isNullable || t.name?.identifier.text !== "string" || t.name.next)) return false;
        locals.add(parent);
        hold((parent["name"] as { text: string }).text, body);
        return holderUses((parent["name"] as { text: string }).text, body, scope, source, h);
      }
      return false;
    };

    /** Every use of a holder's name in `scope` (one declaration of it there, no shadowing) goes where it may. */
    const holderUses = (holder: string, body: AnyNode, scope: { node: AnyNode; parent: AnyNode | null }[], source: Source, h: SourceHelpers): boolean => {
      const declarations = scope.filter(({ node }) => (node.kind === k["VariableDeclaration"] || node.kind === k["Parameter"]) && (node["name"] as { text: string }).text === holder);
      if (declarations.length !== 1) return false;
      for (const { node, parent } of scope) {
        if (node.kind !== k["Identifier"] || node["text"] !== holder || parent === declarations[0]!.node) continue;
        if (!goes(node, parent, source, h, body, scope)) return false;
      }
      return true;
    };

    /** The `index`th parameter of private method `method` in `source` holds a text: every call passes one, every use takes one. */
    const intoParam = (method: string, index: number, source: Source, h: SourceHelpers): boolean => {
      const all = walked.get(source)!;
      const decls = all.filter(({ node }) => node.kind === k["MethodDeclaration"] && (node["name"] as { text: string }).text === method);
      if (decls.length !== 1) return false;
      const decl = decls[0]!.node as AnyNode & { flags: number; body: AnyNode | null; signature: { parameters: (AnyNode & { parameterKind: number; initializer: unknown; type: AnyNode & { name?: { identifier: { text: string }; next: unknown }; isNullable?: boolean }; name: { text: string } })[] } };
      if (!(decl.flags & PRIVATE) || decl.flags & STATIC || !decl.body) return false;
      const owner = enclosing(all, decl, k["ClassDeclaration"]!);
      const param = decl.signature.parameters[index];
      if (!param || param.parameterKind !== 0 || param.initializer) return false;
      if (doneParams.has(param)) return true;
      const t = param.type;
      if (t.kind !== k["NamedType"] || t.isNullable || t.name?.identifier.text !== "string" || t.name.next) return false;
      doneParams.add(param);
      params.add(param);
      // Every mention of the method is a plain call `this.method(all args)`; each passes a text at `index`.
      for (const { node, parent } of all) {
        if (node.kind !== k["PropertyAccess"] || (node["property"] as { text: string }).text !== method) continue;
        if (!parent || parent.kind !== k["Call"] || parent["expression"] !== node || (node["expression"] as AnyNode).kind !== k["This"]) return false;
        // `this.method` inside another class of the file is that class's (or its base's) method.
        if (enclosing(all, parent, k["ClassDeclaration"]!) !== owner) return false;
        const args = parent["args"] as AnyNode[];
        if (args.length !== decl.signature.parameters.length) return false;
        const arg = args[index]!;
        if (text(h, arg) !== null) literalArgs.push({ at: parent, index, source });
        else if (!isTextSource(arg, source, parent)) return false;
      }
      const scope = withParents(decl.body);
      scope.push({ node: param, parent: decl });
      hold(param.name.text, decl.body);
      return holderUses(param.name.text, decl.body, scope, source, h);
    };

    /** Whether `arg` is a call of the function or a holder this plan already tracks. */
    const isTextSource = (arg: AnyNode, source: Source, call: AnyNode): boolean => {
      if (arg.kind === k["Call"] && isCallOfFunction(arg, source)) return true;
      if (arg.kind !== k["Identifier"]) return false;
      const body = enclosingBody(walked.get(source)!, call);
      if (body === null) return false;
      // A holder not met yet (another method's parameter, reached later): checked once all are known.
      pending.push({ name: arg["text"] as string, body });
      return true;
    };
    const pending: { name: string; body: AnyNode }[] = [];

    /** The local name the function has in `source` (its own, or an import of it from `home`), or null. */
    const localName = (source: Source): string | null => {
      if (source === home) return name;
      for (const s of source.statements) {
        if ((s.kind as number) !== k["Import"]) continue;
        const imp = s as unknown as { internalPath: string; declarations: { name: { text: string }; foreignName: { text: string } }[] | null };
        if (imp.internalPath !== home.internalPath) continue;
        const d = imp.declarations?.find((d) => d.foreignName.text === name);
        if (d) return d.name.text;
      }
      return null;
    };
    const isCallOfFunction = (call: AnyNode, source: Source): boolean => {
      const callee = call["expression"] as AnyNode;
      return callee.kind === k["Identifier"] && callee["text"] === localName(source);
    };

    let calls = 0;
    for (const source of own) {
      const local = localName(source);
      const h = helpersOf(source);
      const all = walked.get(source)!;
      // A name the file declares more than once could be shadowed: leave the function alone.
      const mentions = all.filter(({ node }) => node.kind === k["Identifier"] && node["text"] === (local ?? name));
      // Re-exported (`export { f } from`, `export * from`): its signature is someone else's too.
      for (const st of source.statements) {
        if ((st.kind as number) !== k["Export"]) continue;
        const exp = st as unknown as { internalPath: string | null; members: { localName: { text: string } }[] | null };
        if (exp.internalPath === home.internalPath && (!exp.members || exp.members.some((m) => m.localName.text === name))) return null;
      }
      if (local === null) continue;
      const declaring = all.filter(({ node }) => (node.kind === k["VariableDeclaration"] || node.kind === k["Parameter"] || node.kind === k["FunctionDeclaration"] || node.kind === k["ImportDeclaration"]) && (node["name"] as { text: string }).text === local);
      if (declaring.length !== 1) return null;
      for (const { node, parent } of mentions) {
        if (parent === declaring[0]!.node) continue;
        if (!h || !parent || parent.kind !== k["Call"] || parent["expression"] !== node) return null;
        calls++;
        // The enclosing function or method body is the scope of a local it initializes.
        const body = enclosingBody(all, parent);
        if (!body || !goes(parent, all.find((e) => e.node === parent)!.parent, source, h, body, withParents(body))) return null;
      }
    }
    if (!calls || !pending.every(({ name: n, body }) => holders.get(n)?.has(body) === true)) return null;
    return { sinks, locals, params: [...params], literalArgs };
  }

  /** The body of the function or method that contains `node`. */
  function enclosingBody(all: { node: AnyNode; parent: AnyNode | null }[], node: AnyNode): AnyNode | null {
    const fn = enclosing(all, node, k["FunctionDeclaration"]!, k["MethodDeclaration"]!);
    return fn ? ((fn["body"] as AnyNode | null) ?? null) : null;
  }

  /** The nearest ancestor of `node` (or `node` itself) of one of `kinds`. */
  function enclosing(all: { node: AnyNode; parent: AnyNode | null }[], node: AnyNode, ...kinds: number[]): AnyNode | null {
    let parentOf = parents.get(all);
    if (!parentOf) parents.set(all, (parentOf = new Map(all.map((e) => [e.node, e.parent] as const))));
    for (let at: AnyNode | null | undefined = node; at; at = parentOf.get(at)) if (kinds.includes(at.kind)) return at;
    return null;
  }
}
