/* Instance benchmarks, with 1,000 instances of the 20 KB benchmark plugin:
 *   time and resident memory to open them all (each with its first step);
 *   time from a rebuild's rename until every instance ran the new code;
 *   hcr_plugin_from_address in ns per call. */
#include "bench.h"
#include "hcr.h"

#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { N = 1000 };
static struct hcr_plugin ctx[N];

static void copy(const char *src, const char *dst)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s.tmp' && mv '%s.tmp' '%s'", src, dst, dst, dst);
    if (system(cmd) != 0)
        exit(1);
}

static long resident_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    if (f)
        fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

struct code_search {
    struct hcr_plugin *ctx;
    void *found;
};

static int search_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct code_search *s = data;
    for (int i = 0; i < info->dlpi_phnum && !s->found; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        void *inside = (void *)(info->dlpi_addr + ph->p_vaddr + ph->p_memsz / 2);
        if (hcr_plugin_from_address(inside) == s->ctx)
            s->found = inside;
    }
    return s->found != NULL;
}

/* An address in the middle of the code of the copy `c` runs. */
static void *bench_instance_code(struct hcr_plugin *c)
{
    struct code_search s = {c, NULL};
    dl_iterate_phdr(search_object, &s);
    return s.found;
}

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= HCR_LOG_WARN)
        fprintf(stderr, "%s\n", message);
}

int main(void)
{
    char dir[] = "/tmp/hcr-bench-XXXXXX", path[128], v1[512], v2[512];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/instance.so", dir);
    snprintf(v1, sizeof v1, "%s/bench_small_1.so", BENCH_GUESTS);
    snprintf(v2, sizeof v2, "%s/bench_small_2.so", BENCH_GUESTS);
    copy(v1, path);
    struct hcr_options options = {0};
    options.log = quiet;

    enum { ROUNDS = 5 };
    double open_ms[ROUNDS], reload_ms[ROUNDS], memory_kb[ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
        copy(round % 2 ? v2 : v1, path);
        int want = round % 2 ? 2 : 1;
        long before = resident_kb();
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < N; i++) {
            if (hcr_plugin_open_with(&ctx[i], path, &options) != 0 ||
                hcr_plugin_update(&ctx[i]) != want) {
                fprintf(stderr, "instance %d: %s\n", i, hcr_plugin_error(&ctx[i]));
                return 1;
            }
        }
        open_ms[round] = (double)(bench_now_ns() - t0);
        memory_kb[round] = (double)(resident_kb() - before) * 1e6; /* scaled back below */

        /* A rebuild: every instance must run the new code. */
        int other = want == 1 ? 2 : 1;
        uint64_t r0 = bench_now_ns();
        copy(other == 1 ? v1 : v2, path);
        int done = 0;
        static char on_new[N];
        memset(on_new, 0, sizeof on_new);
        while (done < N) {
            for (int i = 0; i < N; i++)
                if (!on_new[i] && hcr_plugin_update(&ctx[i]) == other) {
                    on_new[i] = 1;
                    done++;
                }
            if (bench_now_ns() - r0 > 60000000000u) {
                fprintf(stderr, "rebuild not picked up by all instances\n");
                return 1;
            }
        }
        reload_ms[round] = (double)(bench_now_ns() - r0);

        if (round == ROUNDS - 1) {
            /* Lookups over the 1,000 instances' code ranges. */
            enum { LOOKUPS = 200000, SAMPLES = 60 };
            double lookup[SAMPLES];
            void *addresses[64];
            int found = 0;
            for (int k = 0; k < 64; k++) {
                addresses[k] = bench_instance_code(&ctx[(k * 997) % N]);
                found += addresses[k] != NULL;
            }
            int hits = 0;
            for (int s = 0; s < SAMPLES; s++) {
                uint64_t l0 = bench_now_ns();
                for (int i = 0; i < LOOKUPS; i++)
                    hits += hcr_plugin_from_address(addresses[i & 63]) != NULL;
                lookup[s] = (double)(bench_now_ns() - l0) / LOOKUPS;
            }
            bench_report("hcr_plugin_from_address, 1,000 instances (ns)", lookup, SAMPLES, 1,
                         "ns");
            if (hits != SAMPLES * LOOKUPS || found != 64)
                fprintf(stderr, "lookup missed: %d of %d (%d addresses)\n", hits,
                        SAMPLES * LOOKUPS, found);
        }
        for (int i = 0; i < N; i++)
            hcr_plugin_close(&ctx[i]);
    }
    bench_report("open 1,000 instances, each with its first step", open_ms, ROUNDS, 1e6, "ms");
    for (int i = 0; i < ROUNDS; i++)
        memory_kb[i] /= 1e6 * 1024;
    bench_report("resident memory added by 1,000 instances", memory_kb, ROUNDS, 1, "MB");
    bench_report("rebuild picked up by all 1,000 instances", reload_ms, ROUNDS, 1e6, "ms");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
