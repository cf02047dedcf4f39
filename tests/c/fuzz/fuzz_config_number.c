/*
 * fuzz_config_number.c: numbers typed for config values
 * (firmware/runtime/device/fwx_config_number.c) on arbitrary text of up to
 * 256 bytes, as fwx_dev_check_config hands them over. Checks: a parsed
 * number is finite; an exact, non-whole one (exponent within +-300) is
 * written as text that parses back to the same double, digits and exponent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_config_number.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[257], out[64];
    fwx_cfg_number n, again;
    fwx_text t;
    if (size > 256) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (fwx_cfg_number_parse(s, &n) != 0) return 0;
    if (n.value - n.value != 0.0) abort();
    /* Text with an exponent past 308 is refused when typed, here as by the Node agent (a
     * value reached through fraction digits, ".1e-308", keeps its text "1e-309"). */
    if (!n.exact || n.integral || n.exp10 < -300 || n.exp10 > 300) return 0;
    fwx_text_init(&t, out, sizeof out);
    fwx_cfg_number_text(&n, &t);
    if (t.len >= sizeof out) abort();
    if (fwx_cfg_number_parse(out, &again) != 0 || again.value != n.value || again.digits != n.digits || again.exp10 != n.exp10) abort();
    return 0;
}
