// Types of aspect.js for TypeScript callers (tests, tools).
import type { Capabilities } from "./grants.js";
import type { MockHost } from "./mock-host.js";

export const SDK_DIR: string;
export const PACKAGE_PATH: string;
export function ensurePackageLink(projectDir?: string): string;
export function manifestConfigDefaults(file: string): Record<string, string>;
export function manifestSettings(file: string): { configDefaults: Record<string, string>; grants: Capabilities };
/** The spec file a spec binary was compiled from, from its debug names, or null. */
export function specPathOf(binary: Uint8Array): string | null;
/** The fwx.json nearest above a spec file (up to `root`, default the working directory), or null. */
export function nearestManifest(specPath: string, root?: string): string | null;
export function fwxAspectConfig(options: {
  entries: string[];
  include?: string[];
  disclude?: RegExp[];
  /** A project's fwx.json, or "nearest": for each spec, the fwx.json above it. */
  manifest?: string;
  onHost?: (host: MockHost) => void;
}): Record<string, unknown>;
