// The order vitest starts test files in. With durations from an earlier run
// in its cache, vitest starts the longest files first; on a clean clone (CI)
// it has none and starts the largest files first. Some short files run long:
// they wait on brokers, devices and health windows, or run a 16-hour demo.
// Started last, they trail the run on a core the rest left idle. So files
// that vitest has no result for are started in this measured order first.
//
// The list: the ten longest files of a clean-clone run on 2 cores (wall
// seconds: 61, 57, 51, 51, 50, 42, 40, 39, 39, 28), then four that mostly
// wait on brokers and devices (wall seconds against their CPU seconds: 15
// against 1.4, 12 against 1.0, 16 against 3.3, 13 against 3.2), then every
// other file that took 14 s or more, longest first (23 down to 14 s). Started
// early, the waiting files' waits overlap other files' work; in vitest's own
// order aedes and mosquitto were the last two files of the run. Before the last
// group was listed, its files started late: first-run (18 s) ended 162nd of
// 171 files, at the end of the run. The list ends with two small files that
// mostly wait, which vitest's order started last of all, so their waits were
// the run's tail: run-watch (8-9 s, each save's rebuild and run) and the hang
// guard's nested run (5 s, waiting out its time limit); measured in four
// clean-clone runs. The list only orders: a file missing from it, or one that
// got faster, runs all the same.

import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

export const LONG_FILES = [
  "tests/ota/secure-broker.test.ts",
  "tests/cli/errors.test.ts",
  "tests/ota/crash.test.ts",
  "tests/guest/c-rust-modules.test.ts",
  "tests/device/signed-ops.test.ts",
  "tests/device/ota-device.test.ts",
  "tests/ota/trust.test.ts",
  "tests/validate/limits-agreement.test.ts",
  "tests/ota/cli-trust.test.ts",
  "tests/ota/robustness.test.ts",
  "tests/ota/aedes.test.ts",
  "tests/ota/mosquitto.test.ts",
  "tests/linux/bridge-uart.test.ts",
  "tests/device/secure-broker-device.test.ts",
  "tests/validate/one-verdict-corpus.test.ts",
  "tests/agent/run-cli.test.ts",
  "tests/fleet/cli.test.ts",
  "tests/fleet/console.test.ts",
  "tests/build/first-run.test.ts",
  "tests/demo/demo.test.ts",
  "tests/cli/ram.test.ts",
  "tests/fleet/rollout-e2e.test.ts",
  "tests/build/build.test.ts",
  "tests/cli/flash-watch.test.ts",
  "tests/cli/test-watch.test.ts",
  "tests/linux/modbus-run.test.ts",
  "tests/cli/run-watch.test.ts",
  "tests/support/hang-guard.test.ts",
];

export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification): number => {
      const file = relative(root, spec.moduleId);
      if (this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`)) return LONG_FILES.length; // vitest knows better
      const i = LONG_FILES.indexOf(file.split("\\").join("/"));
      return i < 0 ? LONG_FILES.length : i;
    };
    // Stable: within each rank, vitest's own order.
    return sorted.map((spec, i) => ({ spec, i, r: rank(spec) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.spec);
  }
}
