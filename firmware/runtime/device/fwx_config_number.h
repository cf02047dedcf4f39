/* fwx_config_number.h: a number typed for a config value (fwx config set), read to the double
 * the Node agent's Number() gives and kept as the text its String(n) gives. */
#ifndef FWX_CONFIG_NUMBER_H
#define FWX_CONFIG_NUMBER_H

#include <stdint.h>
#include "fwx_text.h"

/* A number typed for a config value, as fwx_cfg_number_parse reads it: the value, and its significant
 * digits as an integer (no trailing zeros) with the decimal exponent that scales them. */
typedef struct fwx_cfg_number {
  double value;
  uint64_t digits; /* 0 for zero */
  int exp10;       /* value = +-digits x 10^exp10 */
  int neg;
  int exact;       /* digits and exp10 are exactly the typed number, and at most 15 digits */
  int integral;    /* the number typed is whole (digits x 10^exp10 with exp10 >= 0) */
} fwx_cfg_number;

/* Reads `s`: decimal digits with an optional sign, point and exponent (at most 308), spaces
 * around. 0, or -1 when it is not such a number. */
int fwx_cfg_number_parse(const char *s, fwx_cfg_number *n);

/* The text String(n) gives for a number read exactly (n->exact) that is not whole. */
void fwx_cfg_number_text(const fwx_cfg_number *n, fwx_text *t);

#endif
