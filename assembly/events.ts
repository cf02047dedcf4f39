// Event kinds the host passes to `export function fwx_on_event(kind: u32, handle: u32, arg: u32): void`.
import { EventKind } from "./raw/types";

export { EventKind };
