/* An independent Modbus RTU slave for the Linux UART backend's test: libmodbus
 * serving input registers 0.. from the command line on a serial device.
 * usage: modbus-slave <device> <baud> <parity N|E|O> <stop 1|2> <unit> <reg0> [reg1 ...]
 * Prints "ready" once it listens; answers until killed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <modbus/modbus.h>

int main(int argc, char **argv) {
    modbus_t *ctx;
    modbus_mapping_t *map;
    int i, count;
    if (argc < 7) {
        fprintf(stderr, "usage: %s device baud parity stop unit reg0 [reg1 ...]\n", argv[0]);
        return 2;
    }
    count = argc - 6;
    ctx = modbus_new_rtu(argv[1], atoi(argv[2]), argv[3][0], 8, atoi(argv[4]));
    if (ctx == NULL || modbus_set_slave(ctx, atoi(argv[5])) != 0 || modbus_connect(ctx) != 0) {
        fprintf(stderr, "modbus-slave: %s\n", modbus_strerror(errno));
        return 1;
    }
    map = modbus_mapping_new(0, 0, 0, count);
    if (map == NULL) return 1;
    for (i = 0; i < count; i++) map->tab_input_registers[i] = (uint16_t)strtoul(argv[6 + i], NULL, 0);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
        int rc = modbus_receive(ctx, query);
        if (rc > 0) modbus_reply(ctx, query, rc, map);
        else if (rc == -1 && (errno == EBADF || errno == EIO)) break;
    }
    modbus_mapping_free(map);
    modbus_free(ctx);
    return 0;
}
