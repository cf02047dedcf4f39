// Every emitter, in the order `npm run gen` runs them.
import type { Emitter } from "./emitter.js";
import { emitAssemblyScript } from "./emit-as.js";
import { emitAsMock } from "./emit-as-mock.js";
import { emitTsHost } from "./emit-ts-host.js";
import { emitC } from "./emit-c.js";
import { emitDocs } from "./emit-docs.js";
import { emitGuest } from "./emit-guest.js";

export const emitters: { name: string; emit: Emitter }[] = [
  { name: "assemblyscript", emit: emitAssemblyScript },
  { name: "as-mock", emit: emitAsMock },
  { name: "ts-host", emit: emitTsHost },
  { name: "c", emit: emitC },
  { name: "guest", emit: emitGuest },
  { name: "docs", emit: emitDocs },
];
