/* Reads the corpus tests/c/config/corpus.ts writes, one case a line: the typed text, a tab, and
 * the Node agent's answer for a number setting without bounds ("ok <text>", "not-a-number",
 * "digits" or "beyond"); gives the C device's answer for each and counts the mismatches. */
#include <stdio.h>
#include <string.h>
#include "fwx_config_number.h"

static void answer(const char *typed, char *out, size_t cap) {
  fwx_cfg_number n;
  fwx_text t;
  if (fwx_cfg_number_parse(typed, &n) != 0) {
    snprintf(out, cap, "not-a-number");
    return;
  }
  if (!n.integral && !n.exact) {
    snprintf(out, cap, "digits");
    return;
  }
  if (n.value >= 9007199254740992.0 || n.value <= -9007199254740992.0) {
    snprintf(out, cap, "beyond");
    return;
  }
  memcpy(out, "ok ", 3);
  fwx_text_init(&t, out + 3, cap - 3);
  if (n.integral) fwx_text_i64(&t, (int64_t)n.value);
  else fwx_cfg_number_text(&n, &t);
}

int main(int argc, char **argv) {
  static char line[1024], mine[512];
  unsigned long cases = 0, mismatches = 0;
  FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
  if (!f) {
    fprintf(stderr, "usage: config_number_harness <corpus>\n");
    return 2;
  }
  while (fgets(line, sizeof line, f)) {
    char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
    if (!tab || !nl) continue;
    *tab = 0;
    *nl = 0;
    answer(line, mine, sizeof mine);
    cases++;
    if (strcmp(mine, tab + 1) != 0) {
      if (++mismatches <= 20) printf("mismatch: \"%s\": Node agent %s, C device %s\n", line, tab + 1, mine);
    }
  }
  fclose(f);
  printf("%lu numbers compared, %lu mismatches\n", cases, mismatches);
  return mismatches ? 1 : 0;
}
