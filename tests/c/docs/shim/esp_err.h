#ifndef SHIM_ESP_ERR_H
#define SHIM_ESP_ERR_H
#include <stdint.h>
typedef int esp_err_t;
#define ESP_OK 0
#endif
