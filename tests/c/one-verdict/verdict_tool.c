/*
 * verdict_tool: reads modules framed as <u32 little-endian length><bytes>
 * from stdin until EOF and prints, per module, one line
 * "<1 accepted|0 refused> <fwx_check_error_t> <error offset>", for the shared
 * corpus test (tests/validate/one-verdict-corpus.test.ts) to compare with
 * `fwx validate --device-class mcu`. Each module is copied into a buffer of
 * exactly its size so the sanitizers see any read past its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_module_check.h"

static fwx_check_work_t work;

int main(void)
{
    unsigned char head[4];
    while (fread(head, 1u, 4u, stdin) == 4u) {
        uint32_t len = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
        uint8_t *bytes = malloc(len ? len : 1u);
        fwx_module_check_t check;
        bool accepted;
        if (bytes == NULL || fread(bytes, 1u, len, stdin) != len) {
            fprintf(stderr, "verdict_tool: short module\n");
            free(bytes);
            return 2;
        }
        memset(&check, 0, sizeof check);
        check.work = &work;
        accepted = fwx_check_module(bytes, len, &check);
        printf("%d %d %u\n", accepted ? 1 : 0, (int)(check.error != FWX_CHECK_OK ? check.error : check.needs_error), check.error_offset);
        free(bytes);
    }
    return 0;
}
