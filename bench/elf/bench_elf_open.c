/* bench_elf_open: the cost of validating and indexing an ELF file, and of
   walking its symbols with their source files, on a generated object of
   thousands of sections and on the C library (a large shared object). */
#include "bench.h"
#include "elf/elf_file.h"

#include <stdio.h>
#include <stdlib.h>

#define RUNS 200

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc(n > 0 ? (size_t)n : 1);
    if (!data || n <= 0 || fread(data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(data);
        return NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return data;
}

static void bench_file(const char *label, const char *path, unsigned type)
{
    double open_ns[RUNS], walk_ns[RUNS];
    struct hcr__elf elf;
    struct hcr__message msg;
    size_t size, locals = 0;
    unsigned char *data = read_file(path, &size);
    char name[128];

    if (!data) {
        printf("%s: cannot read %s, skipped\n", label, path);
        return;
    }
    for (int r = 0; r < RUNS; r++) {
        struct hcr__elf_sym_walk walk = {0};
        uint64_t t0 = bench_now_ns(), t1;
        if (hcr__elf_open(&elf, path, data, size, EM_X86_64, type, &msg) < 0) {
            printf("%s: %s\n", label, msg.text);
            free(data);
            return;
        }
        t1 = bench_now_ns();
        locals = 0;
        while (hcr__elf_sym_next(&elf, &walk))
            locals += walk.file != NULL;
        walk_ns[r] = (double)(bench_now_ns() - t1);
        open_ns[r] = (double)(t1 - t0);
    }
    printf("%s: %zu bytes, %zu sections, %zu symbols (%zu in a source file), %zu dynamic\n", label,
           size, elf.shnum, elf.nsyms, locals, elf.ndynsyms);
    snprintf(name, sizeof name, "%s hcr__elf_open", label);
    bench_report(name, open_ns, RUNS, 1000, "us");
    snprintf(name, sizeof name, "%s symbol walk with files", label);
    bench_report(name, walk_ns, RUNS, 1000, "us");
    free(data);
}

int main(void)
{
    bench_file("object", BENCH_ELF_OBJECT, ET_REL);
    bench_file("libc", "/lib/x86_64-linux-gnu/libc.so.6", ET_DYN);
    return 0;
}
