/* State migration benchmarks.
 *   reload: from the rename of a new build into place to the first step
 *     of the new version, for a guest whose state is 10,000 records of 20
 *     fields (800 KB), when the records keep their layout and when a field
 *     was inserted in the middle and two swapped; taking turns in one run,
 *     so both see the same machine. Also the time the one update that
 *     swapped versions blocked the host (migration runs there).
 *   engine: the plan between the two layouts and its application to
 *     10,000 records, alone (src/migrate/).
 *   debug information: reading the types of every variable of a version
 *     with 1,000 struct types, as a reload's preparation does (on hcr's
 *     watch thread).
 * The plugins live in a new directory under $BENCH_DIR, else /tmp. */
#include "bench.h"
#include "hcr.h"
#include "migrate/migrate.h"
#include "plugin/plugin_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ROUNDS = 30 };

static const char *guest(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s.so", BENCH_GUESTS, name);
    return path;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    off_t end = lseek(fd, 0, SEEK_END);
    unsigned char *bytes = malloc((size_t)end);
    if (!bytes || pread(fd, bytes, (size_t)end, 0) != end)
        exit(1);
    close(fd);
    *size = (size_t)end;
    return bytes;
}

/* Copies src beside dst and renames it into place, written back first so
   that the rename is only a rename. */
static void install(const char *src, const char *dst)
{
    char tmp[600];
    size_t size;
    unsigned char *bytes = read_file(src, &size);
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, bytes, size) != (ssize_t)size)
        exit(1);
    fsync(fd);
    close(fd);
    free(bytes);
    if (rename(tmp, dst) != 0)
        exit(1);
}

/* Errors only: every other reload drops `inserted`, and says so. */
static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= HCR_LOG_ERROR)
        fprintf(stderr, "%s\n", message);
}

static void bench_reloads(void)
{
    const char *parent = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/hcr-bench-migrate-XXXXXX", parent);
    if (!mkdtemp(dir))
        exit(1);
    snprintf(path, sizeof path, "%s/guest.so", dir);
    install(guest("bench_migrate_l1_v1"), path);
    int seen = 0;
    struct hcr_plugin ctx = {0};
    ctx.userdata = &seen;
    struct hcr_options options = {0};
    options.log = quiet;
    if (hcr_plugin_open_with(&ctx, path, &options) != 0 || hcr_plugin_update(&ctx) < 0) {
        fprintf(stderr, "open: %s\n", hcr_plugin_error(&ctx));
        exit(1);
    }
    /* Each build follows the one before: same layout, changed, same, changed. */
    static const struct {
        const char *name;
        int seen, changed;
    } cycle[] = {{"bench_migrate_l1_v2", 21, 0},
                 {"bench_migrate_l2_v1", 12, 1},
                 {"bench_migrate_l2_v2", 22, 0},
                 {"bench_migrate_l1_v1", 11, 1}};
    double total[2][ROUNDS * 2], blocked[2][ROUNDS * 2];
    size_t n[2] = {0, 0};
    for (int round = 0; round < ROUNDS * 2; round++) {
        int c = round % 4, kind = cycle[c].changed;
        install(guest(cycle[c].name), path);
        uint64_t start = bench_now_ns(), longest = 0;
        while (seen != cycle[c].seen) {
            uint64_t before = bench_now_ns();
            if (hcr_plugin_update(&ctx) < 0) {
                fprintf(stderr, "update: %s\n", hcr_plugin_error(&ctx));
                exit(1);
            }
            uint64_t took = bench_now_ns() - before;
            if (took > longest)
                longest = took;
            if (bench_now_ns() - start > 10000000000ull) {
                fprintf(stderr, "a reload never came\n");
                exit(1);
            }
        }
        total[kind][n[kind]] = (double)(bench_now_ns() - start);
        blocked[kind][n[kind]++] = (double)longest;
        usleep(20000); /* the old version's unmapping, on the watch thread, out of the way */
    }
    hcr_plugin_close(&ctx);
    rmdir(dir);
    bench_report("reload, 10,000 records, same layout", total[0], n[0], 1e6, "ms");
    bench_report("reload, 10,000 records, layout changed (migrated)", total[1], n[1], 1e6, "ms");
    bench_report("  update blocked the host, same layout", blocked[0], n[0], 1e6, "ms");
    bench_report("  update blocked the host, layout changed", blocked[1], n[1], 1e6, "ms");
}

static const struct hcr__type *record_type(struct hcr__types **types, unsigned char **bytes,
                                           const char *name)
{
    size_t size;
    *bytes = read_file(guest(name), &size);
    if (hcr__types_open(*bytes, size, types) != 0 || !*types)
        exit(1);
    const struct hcr__type *t = hcr__types_find(*types, "struct record");
    if (!t)
        exit(1);
    return t;
}

static void bench_engine(void)
{
    struct hcr__types *t1, *t2;
    unsigned char *b1, *b2;
    const struct hcr__type *from = record_type(&t1, &b1, "bench_migrate_l1_v1");
    const struct hcr__type *to = record_type(&t2, &b2, "bench_migrate_l2_v1");
    unsigned char *old = calloc(10000, from->size), *new = calloc(10000, to->size);
    double samples[ROUNDS * 4];
    for (int i = 0; i < ROUNDS * 4; i++) {
        uint64_t start = bench_now_ns();
        struct hcr__migrate_plan *plan;
        if (hcr__migrate_plan_build(from, to, "records", &plan) != 0)
            exit(1);
        struct hcr__migrate_outcome outcome = {0};
        hcr__migrate_apply(plan, old, new, 10000, NULL, NULL, &outcome);
        hcr__migrate_plan_free(plan);
        samples[i] = (double)(bench_now_ns() - start);
    }
    bench_report("engine: plan + 10,000 records of 20 fields", samples, ROUNDS * 4, 1e6, "ms");
    free(old);
    free(new);
    hcr__types_free(t1);
    hcr__types_free(t2);
    free(b1);
    free(b2);
}

static void bench_many_types(void)
{
    size_t size, built = 0;
    unsigned char *bytes = read_file(BENCH_MANY_TYPES, &size);
    double samples[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t start = bench_now_ns();
        struct hcr__types *types;
        struct hcr__static_names names;
        if (hcr__types_open(bytes, size, &types) != 0 || !types ||
            hcr__static_names_read(types, &names) != 0)
            exit(1);
        samples[i] = (double)(bench_now_ns() - start);
        built = hcr__types_count(types);
        hcr__static_names_free(&names);
        hcr__types_free(types);
    }
    char name[96];
    snprintf(name, sizeof name, "debug information, 1,000 struct types (%zu read)", built);
    bench_report(name, samples, ROUNDS, 1e6, "ms");
    free(bytes);
}

int main(void)
{
    bench_machine_note();
    bench_reloads();
    bench_engine();
    bench_many_types();
    return 0;
}
