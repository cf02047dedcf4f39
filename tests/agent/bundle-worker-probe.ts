// Run by tests/agent/prepare-worker.test.ts in a process of its own, started in another working
// directory (esbuild takes its default working directory from the process when it is first loaded):
// prints the path of the preparation worker bundled from the source given as the argument.
import { bundleWorkerSource } from "../../src/agent/prepare-pool.js";

console.log(bundleWorkerSource(process.argv[2]!));
