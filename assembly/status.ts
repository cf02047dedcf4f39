// Status codes and the error-detail escape hatch. Every SDK call that can fail
// returns a Status; nothing in the SDK throws.
import { Status, statusName } from "./raw/types";
import { core_error_detail } from "./raw/core";
import { lengthOut } from "./internal/scratch";

export { Status, statusName };

/** True when the status is Status.Ok. */
// @ts-ignore: decorator
@inline
export function isOk(status: Status): bool {
  return status == Status.Ok;
}

/**
 * Copies the host's text for the last non-ok status this module received
 * (most useful after Status.Other) into `out`. Returns the status; the number
 * of bytes written is in errorDetailLength afterwards (with NoSpace: the size
 * needed).
 */
export function errorDetail(out: Uint8Array): Status {
  const length = lengthOut();
  const status = <Status>core_error_detail(out.dataStart, <usize>out.byteLength, length);
  errorDetailLength = load<u32>(length);
  return status;
}

/** Bytes written (or needed) by the last errorDetail call. */
export let errorDetailLength: u32 = 0;
