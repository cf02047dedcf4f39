// `fwx new`: copies templates/module into a new project directory, filling
// in the module id, a package name and how to depend on this fwx. The result
// builds and tests green before the integrator changes a line.

import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { writeFileDurable } from "../fs/durable.js";
import { FWX_VERSION } from "../version.js";
import { packageRoot } from "./compile.js";
import { MAX_MODULE_ID_LENGTH, MODULE_ID_PATTERN } from "./manifest.js";

/** Template files whose names npm would mangle or drop when publishing. */
const RENAMES: Record<string, string> = { gitignore: ".gitignore" };

export interface ScaffoldOptions {
  /** Reverse-DNS module id; default "com.example.<directory name>". */
  id?: string;
  /** package.json dependency spec for fwx; default file:<this checkout> or ^<version> when installed. */
  fwxDependency?: string;
}

export interface ScaffoldResult {
  dir: string;
  id: string;
  files: string[];
  fwxDependency: string;
}

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScaffoldError";
  }
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").replace(/^[0-9-]+/, "") || "module";
}

/** How a new project depends on this fwx: the checkout itself, or the published version. */
export function defaultFwxDependency(): string {
  const root = packageRoot();
  return root.split(sep).includes("node_modules") ? `^${FWX_VERSION}` : `file:${root}`;
}

function listTemplate(dir: string, prefix = ""): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, name)).isDirectory() ? listTemplate(join(dir, name), rel) : [rel];
  });
}

export function scaffoldProject(target: string, options: ScaffoldOptions = {}): ScaffoldResult {
  const dir = resolve(target);
  let existed = false;
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) throw new ScaffoldError(`${target} exists and is not a directory`);
    if (readdirSync(dir).length > 0) throw new ScaffoldError(`${target} is not empty; fwx new only writes into a new or empty directory`);
    existed = true;
  } catch (e) {
    if (e instanceof ScaffoldError) throw e;
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const name = slug(basename(dir));
  const id = options.id ?? `com.example.${name}`;
  // Said about what the user typed: --id, or the directory name the id was made from.
  const given = options.id !== undefined ? `--id "${id}"` : `the module id "${id}" (made from the directory name)`;
  if (id.length > MAX_MODULE_ID_LENGTH) throw new ScaffoldError(`${given} is ${id.length} characters, more than the ${MAX_MODULE_ID_LENGTH} a module id may have; ${options.id !== undefined ? "shorten it" : "give a shorter one with --id"}`);
  if (!MODULE_ID_PATTERN.test(id)) throw new ScaffoldError(`${given} is not a reverse-DNS module id (lowercase, dotted, e.g. com.acme.pump-monitor)`);
  const fwxDependency = options.fwxDependency ?? defaultFwxDependency();
  const values: Record<string, string> = { id, name, packageName: name, fwxDependency };

  const templateDir = join(packageRoot(), "templates", "module");
  const files = listTemplate(templateDir);
  const written: string[] = [];
  mkdirSync(dir, { recursive: true });
  try {
    for (const rel of files) {
      const text = readFileSync(join(templateDir, rel), "utf8").replace(/\{\{(\w+)\}\}/g, (m, key: string) => {
        const v = values[key];
        if (v === undefined) throw new Error(`template ${rel}: unknown placeholder ${m}`);
        // JSON templates hold placeholders inside strings.
        return rel.endsWith(".json") ? JSON.stringify(v).slice(1, -1) : v;
      });
      const parts = rel.split("/");
      parts[parts.length - 1] = RENAMES[parts[parts.length - 1]!] ?? parts[parts.length - 1]!;
      const out = join(dir, ...parts);
      mkdirSync(resolve(out, ".."), { recursive: true });
      writeFileDurable(out, text);
      written.push(relative(dir, out));
    }
  } catch (e) {
    // Leave nothing half-scaffolded behind.
    if (existed) for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
    else rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, id, files: written, fwxDependency };
}
