#!/usr/bin/env node
// PostgreSQL for the fleet database tests: installs Debian's `postgresql`
// when its server binaries are missing (scripts/apt.mjs), and starts a
// throwaway server — initdb in a temporary directory, its own loopback port,
// its unix socket in that directory, trust authentication for one user —
// that the tests stop and delete. As root it runs as the `postgres` user the
// Debian package creates (PostgreSQL refuses to run as root).
//
//   node scripts/ensure-postgres.mjs            install if missing; exit 0 when usable
//   node scripts/ensure-postgres.mjs --start    also start a server, print its URL, run until SIGINT/SIGTERM
//
// Tests import startPostgres() from here.
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { aptAvailable, aptInstall } from "./apt.mjs";

const log = (msg) => console.error(`ensure-postgres: ${msg}`);

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin), or null. */
export function postgresBinDir() {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  const majors = readdirSync(base).filter((v) => existsSync(join(base, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(base, majors[0], "bin") : null;
}

/** Installs Debian's postgresql when missing; returns the bin directory or null (with a message). */
export function ensurePostgres() {
  let bin = postgresBinDir();
  if (bin) return bin;
  if (!aptAvailable()) {
    log("PostgreSQL is not installed and apt-get is not available; install the postgresql server package");
    return null;
  }
  aptInstall(["postgresql"], log);
  bin = postgresBinDir();
  if (!bin) log("the PostgreSQL server binaries (initdb) are still missing after apt-get install postgresql");
  return bin;
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** uid/gid to run the server as: ourselves, or Debian's postgres user when we are root. */
function serverIdentity() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return {};
  const id = (flag) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u"), gid = id("-g");
  if (!Number.isInteger(uid) || uid === 0) throw new Error("running as root and there is no `postgres` user to run PostgreSQL as (the Debian package creates it)");
  return { uid, gid };
}

/**
 * Starts a throwaway server. Resolves to { url (database "postgres", user "fwx"), port, dir, stop() };
 * stop() shuts it down fast and deletes its directory.
 */
export async function startPostgres({ timeoutMs = 30_000 } = {}) {
  const bin = ensurePostgres();
  if (!bin) throw new Error("PostgreSQL is not available (see the ensure-postgres messages above)");
  const who = serverIdentity();
  const dir = mkdtempSync(join(tmpdir(), "fwx-postgres-"));
  if (who.uid !== undefined) chownSync(dir, who.uid, who.gid);
  const data = join(dir, "data");
  const init = spawnSync(join(bin, "initdb"), ["-D", data, "-U", "fwx", "--auth=trust", "--no-sync", "-E", "UTF8", "--no-locale"], { encoding: "utf8", ...who });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.status}): ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const server = spawn(join(bin, "postgres"), [
    "-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
    // A throwaway server: durability is not what these tests measure.
    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200",
  ], { stdio: ["ignore", "ignore", "pipe"], ...who });
  let stderr = "";
  server.stderr.on("data", (d) => { stderr += d; });
  const ready = await new Promise((resolve) => {
    const until = Date.now() + timeoutMs;
    const poll = () => {
      if (server.exitCode !== null) return resolve(false);
      const r = spawnSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-U", "fwx", "-d", "postgres"], { stdio: "ignore" });
      if (r.status === 0) return resolve(true);
      if (Date.now() > until) return resolve(false);
      setTimeout(poll, 100);
    };
    poll();
  });
  const stop = async () => {
    if (server.exitCode === null) {
      const gone = new Promise((r) => server.once("exit", r));
      server.kill("SIGINT"); // fast shutdown
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!ready) {
    await stop();
    throw new Error(`PostgreSQL did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms: ${stderr.trim().split("\n").slice(-5).join("\n")}`);
  }
  return { url: `postgres://fwx@127.0.0.1:${port}/postgres`, port, dir, stop };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (!process.argv.includes("--start")) process.exit(ensurePostgres() ? 0 : 1);
  const pgServer = await startPostgres();
  console.log(pgServer.url);
  const stop = () => pgServer.stop().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
