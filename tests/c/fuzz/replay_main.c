/*
 * replay_main.c: runs a fuzz harness's LLVMFuzzerTestOneInput over files
 * (a seed corpus, or a crash input) without libFuzzer, so the C test lane
 * can replay the corpus with gcc + ASan/UBSan. Usage: harness FILE|DIR...
 * Prints "replayed N inputs" and exits 0 when none crashed.
 * Test code: libc is fine here.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long replayed;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    uint8_t *buf;
    if (!f) return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    buf = malloc(n > 0 ? (size_t)n : 1u);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    fprintf(stderr, "input %s\n", path); /* names the input a crash report follows */
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    replayed++;
    return 0;
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (S_ISDIR(st.st_mode)) {
        struct dirent **names;
        int n = scandir(path, &names, NULL, alphasort), i, rc = 0;
        if (n < 0) return -1;
        for (i = 0; i < n; i++) {
            if (names[i]->d_name[0] != '.') {
                char full[4096];
                snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
                if (run_path(full) != 0) rc = -1;
            }
            free(names[i]);
        }
        free(names);
        return rc;
    }
    return run_file(path);
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (run_path(argv[i]) != 0) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            return 2;
        }
    }
    printf("replayed %lu inputs\n", replayed);
    return 0;
}
