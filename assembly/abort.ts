// AssemblyScript's abort() routed to the host: `fwx build` compiles with
// `--use abort=~lib/fwx/abort/fwxAbort`, so a failed assertion, an
// out-of-bounds array access or an explicit abort() becomes a fault report
// with its message and source position, and the module imports nothing from
// `env`. Not exported: an exported abort would become a wasm export.
import { core_abort } from "./raw/core";
import { encodeName, encodeText, utf8Len, utf8Ptr } from "./internal/scratch";

function fwxAbort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  let messagePtr: usize = 0;
  let messageLen: usize = 0;
  if (message !== null) {
    encodeText(message);
    messagePtr = utf8Ptr;
    messageLen = utf8Len;
  }
  let filePtr: usize = 0;
  let fileLen: usize = 0;
  if (fileName !== null) {
    encodeName(fileName);
    filePtr = utf8Ptr;
    fileLen = utf8Len;
  }
  core_abort(messagePtr, messageLen, filePtr, fileLen, lineNumber, columnNumber);
  // core_abort never returns; this tells the compiler so.
  unreachable();
}
