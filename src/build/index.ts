// Programmatic build API for other commands (demo, pack, run on a directory).
export { buildModule, BuildInputError, type BuildOptions, type BuildResult } from "./build.js";
export { compileAssemblyScript, formatDiagnostic, packageRoot, RUNTIMES, type Diagnostic, type Runtime } from "./compile.js";
export {
  checkConfigValue, configDefaults, configText, ManifestError, MANIFEST_FILE, parseManifest, readManifest,
  type ConfigEntry, type ModuleManifest,
} from "./manifest.js";
export { scaffoldProject, ScaffoldError, type ScaffoldOptions, type ScaffoldResult } from "./scaffold.js";
