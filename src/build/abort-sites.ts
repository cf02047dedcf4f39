// Abort sites as ids, for `fwx build`: the aborts the compiler itself makes
// (a `throw`, a failed bounds or length check in the standard library, an
// allocation too large) pass the abort handler a site id instead of the
// source file's name, and, when the message is a literal, no message either.
// The file names and messages were UTF-16 strings in the module's data
// (measured on pump-vibration: seven of them, about 400 B with their
// headers); the table id -> "file:line:column message" goes to the debug map
// kept beside the build (debug-map.ts `aborts`), where a crash report looks
// the id up.
//
// What the host receives for such an abort: an empty file name, the site id
// as the line and 0 as the column (a real position always has a file), and
// the message only when it was not a literal. An explicit `abort("why")` in
// the integrator's code is a plain call, not one of these, and keeps its
// message as before.
//
// AssemblyScript has no hook for this: the position strings are made inside
// its Compiler (makeAbort, makeStaticAbort), so those two methods are
// wrapped, once per process. The wrappers act only for a program registered
// by `abortSitesTransform` (its afterInitialize), so every other compile in
// the process (as-pect, a test's own asc call) is left as the compiler makes
// it. assemblyscript is pinned (package.json); tests/build/abort-sites.test.ts
// fails by name if a new version changes these methods.
import type { Expression, Program } from "assemblyscript";

type AsModule = typeof import("assemblyscript");

/** The sites of one compile: id (decimal) -> "file:line:column message". */
export type AbortSites = Record<string, string>;

interface State {
  sites: AbortSites;
  /** Site text -> id: a site compiled twice (a generic's instances, an inlined copy) keeps one id. */
  ids: Map<string, number>;
  /** The standard library's top-level string constants (E_INDEXOUTOFRANGE, ...), by name, when unambiguous. */
  constants: Map<string, string | null>;
}

const programs = new WeakMap<object, State>();
let installed = false;

/** The binaryen expression and AST shapes the wrappers touch (the compiler's typings keep them private). */
interface CompilerLike {
  program: Program & { abortInstance: { internalName: string } | null; stringInstance: { type: unknown } };
  module: { block(label: string | null, children: number[], type?: number): number; call(name: string, operands: number[], type: number): number; i32(v: number): number; unreachable(): number };
  compileFunction(f: unknown): boolean;
  makeZero(type: unknown): number;
}
interface NodeLike {
  kind: number;
  range: { start: number; source: { normalizedPath: string; lineAt(pos: number): number; columnAt(): number } };
}

function install(as: AsModule): boolean {
  if (installed) return true;
  const proto = (as as unknown as { Compiler?: { prototype: Record<string, unknown> } }).Compiler?.prototype;
  const makeAbort = proto?.["makeAbort"];
  const makeStaticAbort = proto?.["makeStaticAbort"];
  if (!proto || typeof makeAbort !== "function" || typeof makeStaticAbort !== "function") return false;
  const nodeKind = (as as unknown as Record<string, Record<string, number>>)["NodeKind"]!;
  const literalKind = (as as unknown as Record<string, Record<string, number>>)["LiteralKind"]!;

  /** The message's text when it is known at compile time: a string literal, or a standard library constant. */
  const staticMessage = (state: State, message: NodeLike): string | null => {
    if (message.kind === nodeKind["Literal"] && (message as unknown as { literalKind: number }).literalKind === literalKind["String"]) {
      return (message as unknown as { value: string }).value;
    }
    if (message.kind === nodeKind["Identifier"] && message.range.source.normalizedPath.startsWith("~lib/") && !message.range.source.normalizedPath.startsWith("~lib/fwx/")) {
      return state.constants.get((message as unknown as { text: string }).text) ?? null;
    }
    return null;
  };

  /** `abort(message, 0, id, 0); unreachable`, the site recorded. */
  const siteAbort = (compiler: CompilerLike, state: State, messageExpr: number, text: string, where: NodeLike): number => {
    const { program, module } = compiler;
    const abort = program.abortInstance;
    if (!abort || !compiler.compileFunction(abort)) return module.unreachable();
    const { source, start } = where.range;
    const site = `${source.normalizedPath}:${source.lineAt(start)}:${source.columnAt()}${text ? ` ${text}` : ""}`;
    let id = state.ids.get(site);
    if (id === undefined) {
      id = state.ids.size + 1;
      state.ids.set(site, id);
      state.sites[String(id)] = site;
    }
    const none = 0; // binaryen's TypeRef none
    return module.block(null, [
      module.call(abort.internalName, [messageExpr || compiler.makeZero(program.stringInstance.type), compiler.makeZero(program.stringInstance.type), module.i32(id), module.i32(0)], none),
      module.unreachable(),
    ]);
  };

  proto["makeAbort"] = function (this: CompilerLike, message: NodeLike | null, codeLocation: NodeLike): number {
    const state = programs.get(this.program);
    if (!state) return (makeAbort as (...a: unknown[]) => number).call(this, message, codeLocation);
    const text = message ? staticMessage(state, message) : "";
    // A message computed at run time is compiled as before and reaches makeStaticAbort below.
    if (text === null) return (makeAbort as (...a: unknown[]) => number).call(this, message, codeLocation);
    return siteAbort(this, state, 0, text, codeLocation);
  };
  proto["makeStaticAbort"] = function (this: CompilerLike, messageExpr: number, codeLocation: NodeLike): number {
    const state = programs.get(this.program);
    if (!state) return (makeStaticAbort as (...a: unknown[]) => number).call(this, messageExpr, codeLocation);
    return siteAbort(this, state, messageExpr, "", codeLocation);
  };
  installed = true;
  return true;
}

/**
 * The transform instance for one compile (asc's `transforms` option): fills
 * `sites` as the compiler makes abort calls. `as` is the compiler module asc
 * loaded. Throws when this compiler's internals are not the ones wrapped.
 */
export function abortSitesTransform(as: AsModule, sites: AbortSites): { afterInitialize(program: Program): void } {
  if (!install(as)) throw new Error("abort sites: this AssemblyScript compiler has no Compiler#makeAbort/makeStaticAbort to wrap (the pinned 0.27.37 has)");
  const nodeKind = (as as unknown as Record<string, Record<string, number>>)["NodeKind"]!;
  const literalKind = (as as unknown as Record<string, Record<string, number>>)["LiteralKind"]!;
  return {
    afterInitialize(program: Program): void {
      // The standard library's messages are top-level string constants (~lib/util/error.ts).
      const constants = new Map<string, string | null>();
      for (const source of (program as unknown as { sources: { normalizedPath: string; statements: unknown[] }[] }).sources) {
        if (!source.normalizedPath.startsWith("~lib/") || source.normalizedPath.startsWith("~lib/fwx/")) continue;
        for (const statement of source.statements) {
          const declarations = (statement as { kind: number; declarations?: { name: { text: string }; initializer: Expression | null }[] }).declarations;
          if ((statement as { kind: number }).kind !== nodeKind["Variable"] || !declarations) continue;
          for (const d of declarations) {
            const init = d.initializer as unknown as { kind: number; literalKind?: number; value?: string } | null;
            if (!init || init.kind !== nodeKind["Literal"] || init.literalKind !== literalKind["String"]) continue;
            const name = d.name.text;
            constants.set(name, constants.has(name) && constants.get(name) !== init.value ? null : init.value!);
          }
        }
      }
      programs.set(program, { sites, ids: new Map(), constants });
    },
  };
}
