// Installs a missing tool with Debian's apt-get, for the ensure-* scripts.
// `apt-get update` runs only when the first install attempt fails: a fresh
// container has no package lists yet, and an up-to-date one needs no refresh.
import { spawnSync } from "node:child_process";

/** Whether this is Linux with apt-get on PATH. */
export function aptAvailable() {
  return process.platform === "linux" && spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
}

/**
 * Installs `packages` (through sudo when not root), echoing each command
 * through `log`. Returns whether the final install attempt succeeded.
 */
export function aptInstall(packages, log) {
  const sudo = typeof process.getuid === "function" && process.getuid() !== 0;
  const apt = (...args) => {
    // Test files install what they need at once, in parallel workers: wait for another apt's lock rather than fail on it.
    const withLock = ["-o", "DPkg::Lock::Timeout=600", ...args];
    const [cmd, argv] = sudo ? ["sudo", ["apt-get", ...withLock]] : ["apt-get", withLock];
    log(`${cmd} ${argv.join(" ")}`);
    const r = spawnSync(cmd, argv, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    return r.status === 0;
  };
  const install = () => apt("install", "-y", "--no-install-recommends", ...packages);
  if (install()) return true;
  apt("update");
  return install();
}
