/* fwx_config_number.c: numbers typed for config values, read and kept exactly as the Node
 * agent reads and keeps them (src/ota/config-values.ts), without libc. tests/c/suites/config.mjs
 * holds both to the same verdict and text on a corpus. */
#include "fwx_config_number.h"

/* Powers of ten a double holds exactly: m * 10^k or m / 10^k with m below 2^53 is then one
 * correctly rounded operation (Clinger's fast path), the double JSON.parse and Number() give. */
static const double exact_pow10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int digit_count(uint64_t v) {
  int n = 1;
  while (v >= 10u) {
    v /= 10u;
    n++;
  }
  return n;
}

/* A decimal number as JSON/JS writes one (spaces around it allowed, as the Node agent's
 * check allows them); 0 on success. No libc: the runtime has no strtod. The digits are gathered
 * as an integer and scaled once, so every value typed with up to 15 significant digits and a
 * decimal exponent within +-22 is the double the Node agent's Number() gives: "0.3" is 0.3, not
 * 3 * 0.1 (0.30000000000000004), and a value typed at a bound compares equal to it. Longer or
 * more extreme values are scaled step by step; only whole ones are kept (see the caller). */
int fwx_cfg_number_parse(const char *s, fwx_cfg_number *n) {
  uint64_t m = 0;
  int digits = 0, kept = 0, dexp = 0, exp = 0, eneg = 0, inexact = 0;
  int frac_len = 0, zeros = 0, nonzero = 0; /* over every digit typed, kept or not: whether it is whole */
  double v;
  n->neg = 0;
  while (*s == ' ') s++;
  if (*s == '-' || *s == '+') n->neg = *s++ == '-';
  for (; *s >= '0' && *s <= '9'; s++, digits++) {
    if (*s == '0') {
      zeros++;
    } else {
      zeros = 0;
      nonzero = 1;
    }
    if (m == 0 && *s == '0') continue; /* a leading zero */
    if (kept < 19) {
      m = m * 10u + (uint64_t)(*s - '0');
      kept++;
    } else {
      dexp++; /* past 19 digits: scaled instead of kept */
      if (*s != '0') inexact = 1;
    }
  }
  if (*s == '.') {
    for (s++; *s >= '0' && *s <= '9'; s++, digits++, frac_len++) {
      if (*s == '0') {
        zeros++;
      } else {
        zeros = 0;
        nonzero = 1;
      }
      if (m == 0 && *s == '0') {
        dexp--;
        continue;
      }
      if (kept < 19) {
        m = m * 10u + (uint64_t)(*s - '0');
        kept++;
        dexp--;
      } else if (*s != '0') {
        inexact = 1;
      }
    }
  }
  if (!digits) return -1;
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '-' || *s == '+') eneg = *s++ == '-';
    if (!(*s >= '0' && *s <= '9')) return -1;
    while (*s >= '0' && *s <= '9') {
      exp = exp * 10 + (*s++ - '0');
      if (exp > 308) return -1;
    }
  }
  while (*s == ' ') s++;
  if (*s) return -1;
  dexp += eneg ? -exp : exp;
  while (m != 0 && m % 10u == 0) { /* trailing zeros belong to the exponent: "1.50" is 15 x 10^-1 */
    m /= 10u;
    dexp++;
  }
  v = (double)m;
  if (m == 0) {
    v = 0.0;
    dexp = 0;
  } else if (!inexact && m <= 9007199254740992u && dexp >= -22 && dexp <= 22) {
    v = dexp >= 0 ? v * exact_pow10[dexp] : v / exact_pow10[-dexp];
  } else {
    int k = dexp;
    for (; k > 0; k--) v *= 10.0;
    for (; k < 0; k++) v /= 10.0;
  }
  if (v - v != 0.0) return -1; /* beyond the largest double: not a number the Node agent takes either */
  n->value = n->neg ? -v : v;
  n->digits = m;
  n->exp10 = dexp;
  n->exact = !inexact && (m == 0 || digit_count(m) <= 15);
  /* Whole or not by the number typed, not by the double it rounds to: "1.5e1" and "100e-2" are
   * whole, "1.00000000000000000001" is not. The Node agent decides the same way. */
  n->integral = !nonzero || (eneg ? -exp : exp) - frac_len + zeros >= 0;
  return 0;
}

/* The text the Node agent stores for a number, String(n), for a value fwx_cfg_number_parse read exactly
 * and that is not whole: up to 15 significant digits round-trip, so the shortest form that names
 * the double is the typed digits without trailing zeros, placed as ECMAScript's Number::toString
 * places them (a point inside or before the digits down to 1e-6, an exponent below). */
void fwx_cfg_number_text(const fwx_cfg_number *n, fwx_text *t) {
  char d[20];
  int k = digit_count(n->digits), i, point = k + n->exp10; /* value = 0.d1..dk x 10^point */
  uint64_t m = n->digits;
  for (i = k - 1; i >= 0; i--, m /= 10u) d[i] = (char)('0' + (char)(m % 10u));
  if (n->neg) fwx_text_str(t, "-");
  if (point > 0 && point <= 21) { /* 12.5: not whole, so point < k */
    fwx_text_n(t, d, (size_t)point);
    fwx_text_str(t, ".");
    fwx_text_n(t, d + point, (size_t)(k - point));
  } else if (point > -6 && point <= 0) { /* 0.0125 */
    fwx_text_str(t, "0.");
    for (i = point; i < 0; i++) fwx_text_str(t, "0");
    fwx_text_n(t, d, (size_t)k);
  } else { /* 1.25e-7 */
    fwx_text_n(t, d, 1);
    if (k > 1) {
      fwx_text_str(t, ".");
      fwx_text_n(t, d + 1, (size_t)(k - 1));
    }
    fwx_text_str(t, point - 1 < 0 ? "e-" : "e+");
    fwx_text_u64(t, (uint64_t)(point - 1 < 0 ? 1 - point : point - 1));
  }
}
