// The fleet service's JSON HTTP API, for `fwx rollout` and a web console:
//
//   GET  /api/devices?customer=&group=&board=&module=&version=&online=&ids=a,b&limit=&offset=
//   GET  /api/devices/<id>                 status, modules, verdict history, recent logs, crash reports (named by debug maps)
//   GET  /api/devices/<id>/logs/live       Server-Sent Events: each log line as the service stores it ("log" events)
//   GET  /api/rollouts                     every rollout with per-wave counts
//   POST /api/rollouts                     {package (base64), target, waves, maxFailures, minPerWave?, rate?, maxConcurrent?,
//                                           approve?: "none" | "first" | "every" (true: every)}
//   GET  /api/rollouts/<id>?targets=none   one rollout and its devices (targets=none: without the per-device rows)
//   POST /api/rollouts/<id>/pause|resume|cancel
//   GET  /api/debug-maps                   the debug maps uploaded (module hash, module, version)
//   POST /api/debug-maps                   {map: <the .fwxmap.json object>}: names crash reports of that exact module
//   GET  /api/health?since=<ms>&bucket=<ms>  installs and faults per time bucket
//
// Errors are {error: "<message>"} with 400 (bad input, naming the field), 404, 409 (not in that state),
// 503 (the service cannot flash: no operator credentials; or its database cannot answer now).

import { DeviceActionError, type RunDeviceAction } from "./device-actions.js";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { APPROVE_MODES, parseMaxFailures, parseRate, parseTarget, parseWaves, PlanError, type ApproveMode } from "./rollout-plan.js";
import { RolloutNotFound, RolloutStateError, type RolloutController } from "./rollouts.js";
import type { DeviceFilter, FleetStore } from "./store.js";
import type { CrashStore } from "./crashes.js";
import { DebugMapError } from "../build/debug-map.js";
import type { LogRow } from "./follower.js";

/** Log lines as they are stored, by device: what the live log stream forwards. */
export interface LiveLogs {
  /** Calls `fn` with each line of `device` stored from now on; returns the unsubscribe. */
  subscribe(device: string, fn: (row: LogRow) => void): () => void;
}

/** Seconds between SSE comments on an idle stream, so proxies and the browser keep the connection. */
const SSE_KEEPALIVE_MS = 15_000;
/** How long the API keeps an idle connection: the usual load-balancer figure, far above any client's poll interval. */
export const KEEP_ALIVE_MS = 65_000;

const MAX_BODY = 32 * 1024 * 1024;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A percent-encoded part of a request path; bad encoding (`%ZZ`, a cut UTF-8 sequence) is the client's error, 400. */
function decodePath(part: string, pathname: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in the path ${JSON.stringify(pathname)}`);
  }
}

export interface ApiOptions {
  store: FleetStore;
  crashes: CrashStore;
  /** null: this service does not run rollouts (no operator credentials). */
  rollouts: RolloutController | null;
  whyNoRollouts?: string;
  /** The built web console (console/, `npm run build:console`); null: none. Default: dist/console beside the bundle. */
  consoleDir?: string | null;
  /** The feed behind /api/devices/<id>/logs/live; null or absent: that endpoint answers 404. */
  liveLogs?: LiveLogs | null;
  /** Rollback and config on one device (device-actions.ts); null: no operator credentials. */
  deviceActions?: RunDeviceAction | null;
}

/** dist/console, found from the running bundle (dist/cli.js or dist/chunks/*.js) or from the source tree. */
export function defaultConsoleDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [join(here, "console"), join(here, "..", "console"), join(here, "..", "..", "dist", "console")]) {
    if (existsSync(join(c, "index.html"))) return c;
  }
  return null;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json", ".ico": "image/x-icon",
};

/** A file of the console, or null; never a path outside `dir`. */
function consoleFile(dir: string, pathname: string): { body: Buffer; type: string } | null {
  const rel = normalize(decodePath(pathname, pathname)).replace(/^([/\\])+/, "") || "index.html";
  const file = resolve(dir, rel);
  if (file !== resolve(dir) && !file.startsWith(resolve(dir) + sep)) return null;
  if (!existsSync(file) || !statSync(file).isFile()) return null;
  return { body: readFileSync(file), type: TYPES[extname(file)] ?? "application/octet-stream" };
}

function filterOf(q: URLSearchParams): DeviceFilter {
  const f: DeviceFilter = {};
  for (const k of ["customer", "group", "board", "module", "version"] as const) {
    const v = q.get(k);
    if (v !== null && v !== "") f[k] = v;
  }
  const online = q.get("online");
  if (online !== null) {
    if (online !== "true" && online !== "false") throw new HttpError(400, `online=${online}: expected true or false`);
    f.online = online === "true";
  }
  const ids = q.get("ids");
  if (ids) f.ids = ids.split(",");
  return f;
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name}=${v}: expected an integer in ${min}..${max}`);
  return n;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body larger than ${MAX_BODY} bytes`);
    parts.push(c as Buffer);
  }
  try {
    const v = JSON.parse(Buffer.concat(parts).toString("utf8")) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("expected a JSON object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new HttpError(400, `request body: ${(e as Error).message}`);
  }
}

function str(body: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required) throw new HttpError(400, `"${key}" is required`);
    return undefined;
  }
  if (typeof v !== "string" && typeof v !== "number") throw new HttpError(400, `"${key}" must be a string`);
  return String(v);
}

function posInt(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new HttpError(400, `"${key}" must be a positive integer`);
  return v;
}

/** The approval mode of a rollout request: a mode's name, or true (before every wave) / false. */
function approveOf(v: unknown): ApproveMode {
  if (v === undefined || v === null || v === false) return "none";
  if (v === true) return "every";
  if (typeof v === "string" && (APPROVE_MODES as readonly string[]).includes(v)) return v as ApproveMode;
  throw new HttpError(400, `"approve" must be one of ${APPROVE_MODES.join(", ")} (or true for every): got ${JSON.stringify(v)}`);
}

/** Codes of a database that cannot answer now (PostgreSQL down or restarting, SQLite locked past its busy timeout). */
const UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P02", "57P03", "53300", "SQLITE_BUSY", "SQLITE_LOCKED"]);

/** A database outage is the service's temporary state (503, as a load balancer expects), not a bug in it (500). */
function databaseUnavailable(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && UNAVAILABLE.has(code) || /^Connection terminated/.test(e.message);
}

export function createApiServer(opts: ApiOptions): Server {
  const { store } = opts;
  const rollouts = () => {
    if (!opts.rollouts) throw new HttpError(503, opts.whyNoRollouts ?? "this fleet service does not run rollouts");
    return opts.rollouts;
  };
  const route = async (req: IncomingMessage, url: URL): Promise<unknown> => {
    const parts = url.pathname.split("/").filter(Boolean).map((p) => decodePath(p, url.pathname));
    const method = req.method ?? "GET";
    if (parts[0] !== "api") throw new HttpError(404, `no such resource ${url.pathname} (the API is under /api)`);
    const [, what, id, action] = parts;
    if (what === "devices" && id !== undefined && method === "POST" && (action === "rollback" || action === "config")) {
      if (!opts.deviceActions) throw new HttpError(503, opts.whyNoRollouts ?? "this fleet service has no operator credentials");
      const body = await readJson(req);
      const module = str(body, "module", true)!;
      // A device the fleet has never heard of cannot answer: say so now, as GET does, instead of sending
      // a signed command to a topic nobody reads and answering 504 when it times out.
      if (!(await store.device(id))) throw new HttpError(404, `no device "${id}" in the fleet database`);
      if (action === "rollback") return opts.deviceActions(id, { op: "rollback", module });
      const values = body.values;
      if (typeof values !== "object" || values === null || Array.isArray(values) || !Object.keys(values).length) throw new HttpError(400, `"values" must be an object of at least one key → value`);
      const set: Record<string, string> = {};
      for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
        if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") throw new HttpError(400, `"values.${k}" must be a string, number or boolean`);
        set[k] = String(v);
      }
      return opts.deviceActions(id, { op: "config", module, values: set });
    }
    if (what === "devices" && method === "GET") {
      if (id === undefined) return store.devices(filterOf(url.searchParams), intParam(url.searchParams, "limit", 1000, 1, 100_000), intParam(url.searchParams, "offset", 0, 0, 1e9));
      const d = await store.device(id);
      if (!d) throw new HttpError(404, `no device "${id}" in the fleet database`);
      return { ...d, crashes: await opts.crashes.crashes(id) };
    }
    if (what === "debug-maps" && id === undefined) {
      if (method === "GET") return opts.crashes.debugMaps();
      if (method === "POST") {
        const map = (await readJson(req)).map;
        if (typeof map !== "object" || map === null || Array.isArray(map)) throw new HttpError(400, `"map" must be the debug map (the .fwxmap.json fwx build writes) as a JSON object`);
        try {
          return await opts.crashes.addDebugMap(JSON.stringify(map), `"map"`);
        } catch (e) {
          if (e instanceof DebugMapError) throw new HttpError(400, (e as Error).message);
          throw e;
        }
      }
    }
    if (what === "health" && method === "GET") {
      const now = Date.now();
      return store.health(intParam(url.searchParams, "since", now - 86_400_000, 0, Number.MAX_SAFE_INTEGER), intParam(url.searchParams, "bucket", 60_000, 1000, 86_400_000 * 30));
    }
    if (what === "rollouts") {
      if (id === undefined && method === "GET") return rollouts().list();
      if (id === undefined && method === "POST") {
        const body = await readJson(req);
        const b64 = str(body, "package", true)!;
        const pkg = new Uint8Array(Buffer.from(b64, "base64"));
        if (!pkg.length) throw new HttpError(400, `"package" must be the package file in base64`);
        const rate = str(body, "rate", false);
        return rollouts().create({
          package: pkg, target: parseTarget(str(body, "target", true)!), waves: parseWaves(str(body, "waves", false) ?? "100%"),
          maxFailures: parseMaxFailures(str(body, "maxFailures", false) ?? "0"),
          ...(posInt(body, "minPerWave") !== undefined ? { minPerWave: posInt(body, "minPerWave")! } : {}),
          ...(posInt(body, "maxConcurrent") !== undefined ? { maxConcurrent: posInt(body, "maxConcurrent")! } : {}),
          ratePerMin: rate === undefined ? null : parseRate(rate), approve: approveOf(body.approve),
        });
      }
      if (id !== undefined && action === undefined && method === "GET") {
        // A row per device is the fleet's size: a poll for the state (fwx rollout status --wait) leaves them out.
        const only = url.searchParams.get("targets");
        if (only !== null && only !== "none") throw new HttpError(400, `targets=${only}: expected none (or no targets parameter, for every device's row)`);
        const r = await rollouts().get(id);
        if (!r) throw new RolloutNotFound(id);
        return only === "none" ? r : { ...r, targets: await rollouts().targets(id) };
      }
      if (id !== undefined && method === "POST" && (action === "pause" || action === "resume" || action === "cancel")) return rollouts()[action](id);
    }
    throw new HttpError(404, `no such resource: ${method} ${url.pathname}`);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    const fail = (e: Error) => {
      if (databaseUnavailable(e)) {
        send(503, { error: `the fleet database is unavailable: ${e.message}` });
        return;
      }
      const status = e instanceof HttpError || e instanceof DeviceActionError ? e.status : e instanceof PlanError ? 400 : e instanceof RolloutNotFound ? 404 : e instanceof RolloutStateError ? 409 : 500;
      send(status, { error: status === 500 ? `internal error: ${e.message}` : e.message });
    };
    // A request this handler throws on synchronously (a path with bad percent-encoding) is answered, not left to
    // crash the service: the process's uncaughtException handler would end it.
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? "/", "http://fleet");
      } catch {
        throw new HttpError(400, `malformed request target ${JSON.stringify(req.url)}`);
      }
      const live = /^\/api\/devices\/([^/]+)\/logs\/live$/.exec(url.pathname);
      if (live && req.method === "GET" && opts.liveLogs) {
        const device = decodePath(live[1]!, url.pathname);
        // Server-Sent Events: the browser's EventSource reconnects by itself; the page merges with the stored tail.
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
        res.write(": live logs of " + device.replace(/[\r\n]/g, " ") + "\n\n");
        const unsubscribe = opts.liveLogs.subscribe(device, (row) => res.write(`event: log\ndata: ${JSON.stringify(row)}\n\n`));
        const keepalive = setInterval(() => res.write(": keepalive\n\n"), SSE_KEEPALIVE_MS);
        res.on("close", () => { clearInterval(keepalive); unsubscribe(); });
        return;
      }
      if (!url.pathname.startsWith("/api/") && req.method === "GET") {
        const dir = opts.consoleDir === undefined ? defaultConsoleDir() : opts.consoleDir;
        const f = dir ? consoleFile(dir, url.pathname) : null;
        if (f) {
          res.writeHead(200, { "content-type": f.type, "content-length": f.body.length });
          res.end(f.body);
          return;
        }
        if (url.pathname === "/") {
          const text = "the fleet console is not built: run npm run build:console (the API is under /api)\n";
          res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
          res.end(text);
          return;
        }
      }
      route(req, url).then((body) => send(200, body), fail);
    } catch (e) {
      fail(e as Error);
    }
  });
  // Who closes an idle kept-alive connection must be the client. With Node's 5 s
  // default, a console or CLI whose event loop stalled past its own (hinted, shorter)
  // idle limit reused a socket the service had just closed, and a poll failed with
  // ECONNRESET. Clients take the advertised timeout as their limit minus a margin,
  // so a long one leaves the closing to them; close() still drops every connection.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return server;
}
