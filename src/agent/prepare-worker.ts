// The preparation worker's entry point: runs prepareModule for each request
// the agent's thread posts and answers with the prepared module (a compiled
// WebAssembly.Module crosses threads intact) or the refusal, on the request's
// own port when its sender waits for it (prepare-pool.ts). Preparing a big
// module takes seconds (validation, fuel instrumentation, compilation); here
// that time is spent off the thread the running modules use.

import { parentPort } from "node:worker_threads";
import { ModuleRefused, prepareModule, type PrepareOptions } from "./prepare.js";
import type { PrepareReply, PrepareRequest } from "./prepare-pool.js";

const port = parentPort;
if (!port) throw new Error("prepare-worker.ts runs only as a worker thread (see prepare-pool.ts)");

port.on("message", (req: PrepareRequest) => {
  let reply: PrepareReply;
  try {
    const opts: PrepareOptions = req.options;
    reply = { id: req.id, ok: true, prepared: prepareModule(req.bytes, opts) };
  } catch (e) {
    // prepareModule turns every error into a ModuleRefused; this is the belt to its braces.
    const r = e instanceof ModuleRefused ? e : new ModuleRefused(req.options.moduleId, "internal", `${req.options.source}: ${(e as Error)?.message ?? String(e)}`);
    reply = { id: req.id, ok: false, refused: { moduleId: r.moduleId, step: r.step, report: r.report, problems: r.problems } };
  }
  if (req.waiting) {
    // The sender's thread is blocked in Atomics.wait (prepareOffThreadSync): the reply first, then the wake-up.
    // The sender closes the channel once it has read the reply.
    req.waiting.port.postMessage(reply);
    Atomics.store(req.waiting.signal, 0, 1);
    Atomics.notify(req.waiting.signal, 0);
  } else port.postMessage(reply);
});
