/* The device core's use of the anti-rollback counter port (fwx_counter_port.h):
 * floors and counters kept where a rewrite of the slot store cannot lower them.
 * Without a port (none given) the slot store's own floor is all there is. */
#ifndef FWX_DEVICE_FLOOR_H
#define FWX_DEVICE_FLOOR_H

#include <stddef.h>
#include <stdint.h>

#include "fwx_counter_port.h"
#include "fwx_device.h"

/* The port the device consults from now on (NULL: none). Call before fwx_device_init (which boots).
 * Kept beside the_device (one device per image) so the device struct's layout does not change. */
void fwx_device_use_counters(fwx_device *d, const fwx_counter_port *port);

/* ---- used by the device core ---- */
/* A new package's floor: max(the slot store's floor, the port's installed:<module>). */
uint64_t fwx_dev_floor_installed(const fwx_device *d, const char *module);
/* 0 when `sequence` may run (at or above runnable:<module>); -1 with the problem, naming
 * module, slot, sequence, floor and where it is kept. A port that cannot be read refuses too. */
int fwx_dev_floor_check(const fwx_device *d, const char *module, int slot, uint64_t sequence, char *problem, size_t cap);
/* Module i's package in `slot` (sequence `sequence`) is confirmed: installed >= sequence,
 * runnable >= min(sequence, the other slot's), the rollback target. 0, or -1 when the port failed. */
int fwx_dev_floor_confirmed(fwx_device *d, unsigned i, int slot, uint64_t sequence);

#endif
