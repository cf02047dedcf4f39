/* The RAM budget to the byte (issue 14): the instrumentation checks every load
 * and store against the limit the supervisor sets with __fwx_ram_limit_set
 * (src/fuel/ram-bound.ts); a refused access is a memory-limit fault naming the
 * address and the budget, or out-of-bounds when it leaves the memory too. */
#include <string.h>

#include "fake_hal.h"
#include "fwx_abi_tables.h"
#include "fwx_support.h"
#include "sup_harness.h"

static unsigned imports_timer[] = { FWX_IMPORT_TIMER_START };

static uint32_t access_at, access_len;
static bool plain_unreachable;
static int32_t grow_result;

static M3Result init_fn(fake_call_t *c)
{
    c->result = 0;
    return g_timer_start(1u, 1000u, 1u, NULL);
}

static M3Result timer_fn(fake_call_t *c)
{
    M3Result r;
    (void)c;
    if (plain_unreachable) return fake_trap_unreachable;
    grow_result = fake_guest_grow(1u);
    r = fake_guest_access(access_at, access_len);
    return r;
}

static const fake_guest_t ram_guest = {
    "ram", imports_timer, 1u, init_fn, timer_fn, NULL, NULL, NULL, NULL, 1u, false, false, NULL, NULL,
};

/* Starts the guest with a RAM budget, fires its timer once, returns the fault seen (or NULL). */
static const fwx_fault_t *access_in_timer(uint32_t budget, uint32_t at, uint32_t len)
{
    fwx_sup_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fuel_per_callback = 20000u;
    cfg.ram_limit_bytes = budget;
    cfg.granted = FWX_CAP_BIT(FWX_CAP_TIMER);
    fresh_sup();
    access_at = at;
    access_len = len;
    grow_result = 0;
    if (start_guest(&ram_guest, "ram", &cfg, NULL, NULL) != FWX_SUP_OK) return NULL;
    run_until(test_now + 1u * SEC, 100u * MS);
    return seen.nfaults > 0u ? &seen.fault[0] : NULL;
}

void test_sup_ram(void)
{
    const fwx_fault_t *f;

    case_begin("ram: an access ending exactly at a sub-page budget runs; memory.grow past it is refused");
    plain_unreachable = false;
    f = access_in_timer(6144u, 6140u, 4u);
    CHECK(f == NULL);
    CHECK(grow_result == -1);
    case_end();

    case_begin("ram: an access one byte past the budget is memory-limit, naming the address and the budget");
    f = access_in_timer(6144u, 6141u, 4u);
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(f->reason == FWX_FAULT_MEMORY_LIMIT);
        CHECK(strcmp(f->detail, "a load or store ending at address 6144 reached past the RAM budget of 6144 bytes") == 0);
    }
    case_end();

    case_begin("ram: an access that also leaves the memory is out-of-bounds, with the budget named");
    f = access_in_timer(6144u, 0xfffffffcu, 8u);
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(f->reason == FWX_FAULT_OUT_OF_BOUNDS);
        CHECK(strcmp(f->detail, "a load or store ending at address 4294967299 reached outside the memory (RAM budget 6144 bytes)") == 0);
    }
    case_end();

    case_begin("ram: a whole-page budget leaves the page usable to its last byte");
    f = access_in_timer(65536u, 65532u, 4u);
    CHECK(f == NULL);
    case_end();

    case_begin("ram: an unreachable with no access refused stays unreachable");
    plain_unreachable = true;
    f = access_in_timer(6144u, 0u, 0u);
    CHECK(f != NULL && f->reason == FWX_FAULT_UNREACHABLE);
    plain_unreachable = false;
    case_end();
}
