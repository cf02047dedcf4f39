// Compiles an AssemblyScript kernel in-process (no CLI start-up per build).

import asc from "assemblyscript/asc";

export interface CompileOptions {
  optimizeLevel?: number;
  shrinkLevel?: number;
  /** Emit the name section (function names for crash reports). */
  debug?: boolean;
}

export async function compileKernel(name: string, source: string, options: CompileOptions = {}): Promise<Uint8Array> {
  const result = await asc.compileString(
    { [`${name}.ts`]: source },
    {
      optimizeLevel: options.optimizeLevel ?? 3,
      shrinkLevel: options.shrinkLevel ?? 0,
      runtime: "stub",
      noAssert: true,
      debug: options.debug ?? false,
    },
  );
  if (result.error || !result.binary) {
    throw new Error(`asc failed on kernel ${name}: ${result.error?.message ?? "no binary"}\n${result.stderr.toString()}`);
  }
  return result.binary;
}
