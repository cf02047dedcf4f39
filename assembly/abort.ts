// AssemblyScript's abort() routed to the host: `fwx build` compiles with
// `--use abort=~lib/fwx/abort/fwxAbort`, so a failed assertion, an
// out-of-bounds array access or an explicit abort() becomes a fault report
// with its message and source position, and the module imports nothing from
// `env`. Not exported: an exported abort would become a wasm export.
import { core_abort } from "./raw/core";
import { ABORT_FILE_CAP, ABORT_MESSAGE_CAP, abortBuffer, encodePrefix } from "./internal/scratch";

// Message and file name are cut to fit rather than copied to the heap: an
// abort may be the allocator failing, and a fault report needs no more.
// The defaults match the standard library's abort(), so a module's own
// `abort("why")` compiles against this replacement too.
function fwxAbort(message: string | null = null, fileName: string | null = null, lineNumber: u32 = 0, columnNumber: u32 = 0): void {
  const messagePtr = abortBuffer();
  const filePtr = messagePtr + ABORT_MESSAGE_CAP;
  const messageLen = message !== null ? encodePrefix(message, messagePtr, ABORT_MESSAGE_CAP) : 0;
  const fileLen = fileName !== null ? encodePrefix(fileName, filePtr, ABORT_FILE_CAP) : 0;
  core_abort(messagePtr, messageLen, filePtr, fileLen, lineNumber, columnNumber);
  // core_abort never returns; this tells the compiler so.
  unreachable();
}
