import type { LoweredAbi } from "./lower.js";

/** One generated file, path relative to the repository root. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** Emitters only print: they take the lowered ABI and return file contents, and never touch the disk. */
export type Emitter = (abi: LoweredAbi) => GeneratedFile[];
