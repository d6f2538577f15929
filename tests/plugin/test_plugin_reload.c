/* Plugin mode: change detection and reloading. Every way a build tool can
   put a new file in place is seen, also several times in one second and
   with the modification time going backwards; a half-written file is never
   loaded; each version runs from a private copy that close removes. */
#include "plugin_util.h"
#include "work_queue.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void open_v1(struct hcr_plugin *ctx, struct guest_report *r, const char *path)
{
    install_guest("counter_v1", path);
    ctx->userdata = r;
    CHECK_EQ(hcr_plugin_open(ctx, path), 0);
    CHECK_EQ(hcr_plugin_update(ctx), 1000000 + 1);
    CHECK_EQ(ctx->version, 1);
    CHECK_EQ(r->loads, 1);
}

TEST(first_update_loads_and_steps)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    open_v1(&ctx, &r, harness_path("guest.so"));
    CHECK_EQ(hcr_plugin_update(&ctx), 1000002);
    CHECK_EQ(r.steps, 2);
    CHECK_EQ(ctx.last_working_version, 0); /* nothing before it to roll back to */
    CHECK_EQ(ctx.failure, HCR_NONE);
    hcr_plugin_close(&ctx);
    CHECK_EQ(r.closes, 1);
    CHECK(ctx.userdata == &r);
    CHECK(ctx.p == NULL);
}

TEST(rename_into_place_reloads_with_state)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    open_v1(&ctx, &r, path);
    hcr_plugin_update(&ctx);
    hcr_plugin_update(&ctx); /* 3 steps in v1 */
    install_guest("counter_v2", path);
    int rc = update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    /* v1 stepped on while the new build was prepared; every counter went on
       from where v1 left it. */
    CHECK_INT(r.steps, >=, 4);
    CHECK_EQ(rc, 2000000 + r.steps); /* the HCR_STATE counter */
    CHECK_EQ(r.unloads, 1);
    CHECK_EQ(r.loads, 2);
    CHECK_EQ(r.global_counter, r.steps);
    CHECK_EQ(r.initialised, 100 + r.steps); /* initialised static kept its value */
    CHECK_EQ(r.local_calls, r.steps);       /* function-local static too */
    CHECK(strcmp(r.greeting, "hello") == 0);
    hcr_plugin_close(&ctx);
}

TEST(write_in_place_reloads)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    open_v1(&ctx, &r, path);
    harness_copy_in_place(guest_path("counter_v2"), path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    CHECK_EQ(r.pinned, r.steps);
    hcr_plugin_close(&ctx);
}

TEST(unlink_and_rewrite_reloads)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    open_v1(&ctx, &r, path);
    CHECK_EQ(unlink(path), 0);
    harness_copy_in_place(guest_path("counter_v2"), path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    hcr_plugin_close(&ctx);
}

TEST(several_rebuilds_in_one_second_all_seen)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    open_v1(&ctx, &r, path);
    const char *variants[] = {"counter_v2", "counter_v3", "counter_v1", "counter_v2"};
    const int versions[] = {2, 3, 1, 2};
    for (int i = 0; i < 4; i++) {
        harness_copy_in_place(guest_path(variants[i]), path);
        update_until_version(&ctx, versions[i], 3000);
        CHECK_EQ(r.version, versions[i]);
        CHECK_EQ(ctx.version, (unsigned)(i + 2)); /* a new number for each build */
    }
    CHECK_EQ(r.loads, 5);
    hcr_plugin_close(&ctx);
}

TEST(mtime_going_backwards_is_seen)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    open_v1(&ctx, &r, path);
    /* What `cp -p` of an older file does: new bytes, old modification time. */
    harness_copy_in_place(guest_path("counter_v2"), path);
    struct timeval old[2] = {{1000000, 0}, {1000000, 0}};
    CHECK_EQ(utimes(path, old), 0);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    /* The attribute change alone is not a new build. */
    for (int i = 0; i < 20; i++) {
        hcr_plugin_update(&ctx);
        harness_sleep_ms(5);
    }
    CHECK_EQ(ctx.version, 2);
    hcr_plugin_close(&ctx);
}

TEST(half_written_file_is_never_loaded)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    const char *path = harness_path("guest.so");
    start_guest(&ctx, &r, &log, "counter_v1", path, 1);

    size_t size;
    unsigned char *data = read_whole_file(guest_path("counter_v2"), &size);
    int fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(write(fd, data, size / 2) == (ssize_t)(size / 2));
    /* The writer is still at work: updates go on with v1, quietly. */
    for (int i = 0; i < 50; i++) {
        CHECK_EQ(hcr_plugin_update(&ctx) / 1000000, 1);
        harness_sleep_ms(2);
    }
    CHECK_EQ(log.errors, 0);
    CHECK(write(fd, data + size / 2, size - size / 2) == (ssize_t)(size - size / 2));
    close(fd);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    CHECK_EQ(log.errors, 0);
    free(data);
    hcr_plugin_close(&ctx);
}

TEST(writer_dying_half_way_is_reported_once_and_old_code_runs)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    const char *path = harness_path("guest.so");
    start_guest(&ctx, &r, &log, "counter_v1", path, 1);
    size_t size;
    unsigned char *data = read_whole_file(guest_path("counter_v2"), &size);
    int fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(write(fd, data, size / 3) == (ssize_t)(size / 3));
    close(fd); /* complete as far as anyone can tell, but truncated */
    int saw_failure = 0;
    for (int i = 0; i < harness_scale(200) && !saw_failure; i++) {
        int rc = hcr_plugin_update(&ctx);
        if (rc < 0) {
            saw_failure = 1;
            CHECK_EQ(rc, HCR_ETRUNC);
            CHECK_EQ(ctx.failure, HCR_BAD_IMAGE);
        }
        harness_sleep_ms(5);
    }
    CHECK(saw_failure);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "guest.so");
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "truncated");
    for (int i = 0; i < 20; i++)
        CHECK_EQ(hcr_plugin_update(&ctx) / 1000000, 1);
    CHECK_EQ(log.errors, 1);
    /* The build finishes properly: loaded as soon as it is there. */
    harness_copy_in_place(guest_path("counter_v2"), path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    CHECK_EQ(log.errors, 1);
    free(data);
    hcr_plugin_close(&ctx);
}

static int find_loaded(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    char **found = data;
    if (strstr(info->dlpi_name, "guest.so"))
        *found = strdup(info->dlpi_name);
    return 0;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

TEST(each_version_runs_from_a_private_copy_removed_at_close)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    open_v1(&ctx, &r, path);
    char *loaded = NULL;
    dl_iterate_phdr(find_loaded, &loaded);
    CHECK(loaded != NULL);
    CHECK(strcmp(loaded, path) != 0);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", loaded);
    *strrchr(dir, '/') = 0;
    struct stat st;
    CHECK_EQ(stat(dir, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0700);
    CHECK_EQ(count_entries(harness_tmpdir()), 1); /* nothing beside the plugin */
    hcr_plugin_close(&ctx);
    CHECK(stat(dir, &st) != 0);
    CHECK(access(loaded, F_OK) != 0);
    free(loaded);
}

/* Descriptors of this process open on `dir`'s files, and of those the
   ones whose file was deleted or replaced. */
static void count_open_in(const char *dir, int *open_files, int *replaced)
{
    *open_files = *replaced = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[300], target[1024];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = 0;
        if (strncmp(target, dir, strlen(dir)) != 0 || target[strlen(dir)] != '/')
            continue;
        (*open_files)++;
        *replaced += strstr(target, " (deleted)") != NULL;
    }
    closedir(d);
}

/* hcr keeps the newest build output open, so that a rename over it (or an
   unlink) does not free it inside the writer's call while a reload waits:
   it is closed after the next build is published, and at close. */
TEST(replaced_build_is_freed_by_hcr_after_the_reload_not_by_the_rename)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    char dir[512];
    snprintf(dir, sizeof dir, "%s", harness_tmpdir());
    int open_files, replaced;
    open_v1(&ctx, &r, path);
    count_open_in(dir, &open_files, &replaced);
    CHECK_EQ(open_files, 1); /* v1's build output */
    CHECK_EQ(replaced, 0);
    for (int v = 2; v <= 4; v++) {
        install_guest(v % 2 ? "counter_v1" : "counter_v2", path);
        update_until_version(&ctx, v, 3000);
        CHECK_EQ(ctx.version, (unsigned)v);
        hcr__work_flush(); /* deferred closes have run */
        count_open_in(dir, &open_files, &replaced);
        CHECK_EQ(open_files, 1); /* the newest only: the replaced one is closed */
        CHECK_EQ(replaced, 0);
    }
    hcr_plugin_close(&ctx);
    count_open_in(dir, &open_files, &replaced);
    CHECK_EQ(open_files, 0);
}

/* Opens `variant` (built as `version`) at path with its copies under a new
   directory `copies` (hcr_options.copy_dir) and hcr_options.exact_copy as
   given, and takes its first step. */
static void open_copying_to(struct hcr_plugin *ctx, struct guest_report *r, const char *variant,
                            int version, const char *path, const char *copies, int exact_copy)
{
    CHECK_EQ(mkdir(copies, 0755), 0);
    install_guest(variant, path);
    ctx->userdata = r;
    struct hcr_options options = {0};
    options.copy_dir = copies;
    options.exact_copy = exact_copy;
    CHECK_EQ(hcr_plugin_open_with(ctx, path, &options), 0);
    CHECK_EQ(hcr_plugin_update(ctx), version * 1000000 + 1);
}

/* The name of the file in `dir` that starts with `prefix`, or NULL. */
static char *find_entry(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *found = NULL;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            found = strdup(e->d_name);
    closedir(d);
    return found;
}

/* Waits for the copy file of `version` to appear in dir with `size`
   bytes, made ahead of that version's build (the file is created, then
   allocated); its name, or NULL. */
static char *wait_for_spare(const char *dir, int version, off_t size)
{
    char name[32];
    snprintf(name, sizeof name, "v%d-guest.so", version);
    for (int waited = 0; waited < 3000; waited += 5) {
        char *spare = find_entry(dir, name);
        char path[2048];
        struct stat st;
        if (spare) {
            snprintf(path, sizeof path, "%s/%s", dir, spare);
            if (stat(path, &st) == 0 && st.st_size == size)
                return spare;
            free(spare);
        }
        harness_sleep_ms(5);
    }
    return NULL;
}

/* After each new version the next version's copy file is made ahead,
   with its pages allocated; the next copy, smaller, is made in it and is
   still exactly the build, byte for byte; close removes everything. */
TEST(copy_into_a_spare_file_is_exact)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    const char *copies = harness_path("copies");
    open_copying_to(&ctx, &r, "counter_v1", 1, path, copies, 1); /* the copy is then exact */
    char *private_dir = find_entry(copies, "hcr-");
    CHECK(private_dir != NULL);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", copies, private_dir);

    install_guest("counter_large", path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    struct stat large;
    CHECK_EQ(stat(path, &large), 0);
    char *spare = wait_for_spare(dir, 3, large.st_size);
    CHECK(spare != NULL);
    char spare_path[2048];
    snprintf(spare_path, sizeof spare_path, "%s/%s", dir, spare);
    struct stat st;
    CHECK_EQ(stat(spare_path, &st), 0);
    CHECK_EQ(st.st_size, large.st_size);
    CHECK_EQ(st.st_mode & 0777, 0700);

    install_guest("counter_v3", path);
    int rc = update_until_version(&ctx, 3, 3000);
    CHECK_EQ(ctx.version, 3);
    CHECK_EQ(rc, 3000000 + r.steps);
    char copy[2048];
    snprintf(copy, sizeof copy, "%s/v3-guest.so", dir);
    size_t copy_size, build_size;
    unsigned char *copied = read_whole_file(copy, &copy_size);
    unsigned char *built = read_whole_file(guest_path("counter_v3"), &build_size);
    CHECK_EQ(copy_size, build_size);
    CHECK(memcmp(copied, built, build_size) == 0);
    free(copied);
    free(built);
    free(spare);
    spare = wait_for_spare(dir, 4, (off_t)build_size); /* sized like the small build now */
    CHECK(spare != NULL);
    snprintf(spare_path, sizeof spare_path, "%s/%s", dir, spare);
    CHECK_EQ(stat(spare_path, &st), 0);
    CHECK_EQ(st.st_size, (off_t)build_size);
    CHECK_EQ(st.st_mode & 0777, 0700);
    hcr_plugin_close(&ctx);
    CHECK(access(dir, F_OK) != 0);
    free(spare);
    free(private_dir);
}

/* Closing a plugin while the watch thread is in the middle of preparing
   its new build: the close waits for the preparation and frees the watch
   once (it used to be freed by both threads). */
/* The program header of `type` in the ELF image `image`, and its index. */
static const Elf64_Phdr *find_phdr(const unsigned char *image, size_t size, uint32_t type,
                                   size_t *index)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
    CHECK(size >= sizeof *eh && eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) <= size);
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(image + eh->e_phoff);
    for (size_t i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == type) {
            *index = i;
            return &ph[i];
        }
    return NULL;
}

/* The permissions ("rw-p", "r--p", ...) of the mapping holding `address`. */
static void protection_of(uintptr_t address, char perms[5])
{
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL);
    char line[4096];
    perms[0] = 0;
    while (!perms[0] && fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && address >= lo && address < hi)
            memcpy(perms, p, 5);
    }
    fclose(maps);
    CHECK(perms[0] != 0);
}

/* The link map of the loaded object that holds `address`. */
static struct link_map *map_of(const void *address)
{
    Dl_info info;
    struct link_map *map = NULL;
    CHECK(dladdr1(address, &info, (void **)&map, RTLD_DL_LINKMAP) != 0 && map != NULL);
    return map;
}

/* Checks the running version of the guest built as `build`. Edited (the
   default): the copy differs from the build only in its program header
   table, the .dynamic section header, and the padding that now holds a
   second dynamic section, which the loader uses, read-only; the RELRO
   range is writable. Exact: the copy is the build, and the RELRO range
   read-only. */
static void check_copy_edits(const struct guest_report *r, const char *build, int edited)
{
    struct link_map *map = map_of(r->greeting); /* in the running copy */
    size_t copy_size, build_size, index;
    unsigned char *copied = read_whole_file(map->l_name, &copy_size);
    unsigned char *built = read_whole_file(build, &build_size);
    CHECK_EQ(copy_size, build_size);
    const Elf64_Phdr *relro = find_phdr(built, build_size, PT_GNU_RELRO, &index);
    const Elf64_Phdr *dyn = find_phdr(built, build_size, PT_DYNAMIC, &index);
    CHECK(relro != NULL && dyn != NULL); /* Debian links with -z relro */
    char perms[5];
    protection_of(map->l_addr + relro->p_vaddr, perms);
    CHECK_EQ(strcmp(perms, edited ? "rw-p" : "r--p"), 0);
    if (!edited) {
        CHECK(memcmp(copied, built, build_size) == 0);
        CHECK(map->l_ld == (void *)(map->l_addr + dyn->p_vaddr));
    } else {
        const Elf64_Phdr *moved = find_phdr(copied, copy_size, PT_DYNAMIC, &index);
        CHECK(moved != NULL && moved->p_vaddr != dyn->p_vaddr);
        CHECK_EQ(moved->p_flags, PF_R);
        CHECK(memcmp(copied + moved->p_offset, built + dyn->p_offset, dyn->p_filesz) == 0);
        CHECK(map->l_ld == (void *)(map->l_addr + moved->p_vaddr));
        protection_of((uintptr_t)map->l_ld, perms);
        CHECK(perms[0] == 'r' && perms[1] == '-'); /* read-only (code, with gold) */
        /* The .dynamic section header moved with it, for debuggers. */
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)copied;
        const Elf64_Shdr *sections = (const Elf64_Shdr *)(copied + eh->e_shoff);
        size_t dynamic_section = 0;
        for (size_t i = 1; i < eh->e_shnum; i++)
            if (sections[i].sh_type == SHT_DYNAMIC)
                dynamic_section = i;
        CHECK(dynamic_section != 0);
        CHECK_EQ(sections[dynamic_section].sh_addr, moved->p_vaddr);
        CHECK_EQ(sections[dynamic_section].sh_offset, moved->p_offset);
        size_t table = eh->e_phoff, table_end = table + eh->e_phnum * sizeof(Elf64_Phdr);
        size_t header = eh->e_shoff + dynamic_section * sizeof(Elf64_Shdr);
        for (size_t i = 0; i < build_size; i++)
            if (copied[i] != built[i])
                CHECK((i >= table && i < table_end) ||
                      (i >= header && i < header + sizeof(Elf64_Shdr)) ||
                      (i >= moved->p_offset && i < moved->p_offset + moved->p_filesz));
    }
    free(copied);
    free(built);
}

/* Puts `variant` (built as `version`) in place at path and updates until
   it runs; checks its first step and that the state was carried. */
static void reload_to(struct hcr_plugin *ctx, struct guest_report *r, const char *path,
                      const char *variant, int version)
{
    int steps = r->steps;
    install_guest(variant, path);
    update_until_version(ctx, version, 3000);
    CHECK_EQ(r->version, version);
    CHECK_EQ(hcr_plugin_update(ctx), version * 1000000 + r->steps);
    CHECK(r->steps > steps && r->global_counter == r->steps);
}

TEST(copy_is_edited_for_the_loader_unless_exact)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    open_copying_to(&ctx, &r, "counter_v1", 1, path, harness_path("copies"), 0);
    check_copy_edits(&r, guest_path("counter_v1"), 1);
    /* A large build, whose copy is mapped rather than copied through
       memory: the same, and its state still carried. */
    reload_to(&ctx, &r, path, "counter_large", 2);
    CHECK_EQ(ctx.version, 2);
    check_copy_edits(&r, guest_path("counter_large"), 1);
    hcr_plugin_close(&ctx);

    struct guest_report re = {0};
    struct hcr_plugin exact = {0};
    const char *exact_path = harness_path("exact.so");
    open_copying_to(&exact, &re, "counter_v1", 1, exact_path, harness_path("exact-copies"), 1);
    check_copy_edits(&re, guest_path("counter_v1"), 0);
    reload_to(&exact, &re, exact_path, "counter_large", 2);
    CHECK_EQ(exact.version, 2);
    check_copy_edits(&re, guest_path("counter_large"), 0);
    hcr_plugin_close(&exact);
}

/* Reloads to `variant` (built as `version`) once hcr's housekeeping is
   done, the spare made with it; checks the copy is the build byte for byte
   (the plugin makes exact copies) and that the process holds no writable
   mapping of it: the bytes went from file to file in the kernel. */
static void reload_large(struct hcr_plugin *ctx, struct guest_report *r, const char *path,
                         const char *variant, int version)
{
    hcr__work_flush();
    reload_to(ctx, r, path, variant, version);
    check_copy_edits(r, guest_path(variant), 0);
    CHECK_EQ(mapped_shared(map_of(r->greeting)->l_name), 0);
}

TEST(copy_is_edited_for_the_loader_when_linked_by_gold)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    open_copying_to(&ctx, &r, "counter_gold_v1", 1, path, harness_path("copies"), 0);
    check_copy_edits(&r, guest_path("counter_gold_v1"), 1);
    reload_to(&ctx, &r, path, "counter_gold_v2", 2);
    check_copy_edits(&r, guest_path("counter_gold_v2"), 1);
    hcr_plugin_close(&ctx);
}

TEST(large_builds_are_copied_exactly_into_the_spare)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    /* An exact copy, so each copy must equal its build. */
    open_copying_to(&ctx, &r, "counter_large", 2, path, harness_path("copies"), 1);
    CHECK_EQ(mapped_shared(map_of(r.greeting)->l_name), 0); /* the first: no spare yet */
    /* The spare is 400 KB after a 400 KB build: the same size fits. */
    reload_large(&ctx, &r, path, "counter_large_v3", 3);
    /* 600 KB is more than the 400 KB spare holds: the copy grows it. */
    reload_large(&ctx, &r, path, "counter_larger", 4);
    /* 300 KB fits the 600 KB spare, which is cut to size. */
    reload_large(&ctx, &r, path, "counter_large_smaller", 5);
    hcr_plugin_close(&ctx);
}

TEST(close_while_a_build_is_being_prepared)
{
    const char *path = harness_path("guest.so");
    for (int round = 0; round < harness_scale(40); round++) {
        struct guest_report r = {0};
        struct hcr_plugin ctx = {0};
        open_v1(&ctx, &r, path);
        install_guest(round % 2 ? "counter_large" : "counter_v2", path);
        harness_sleep_us((round * 97) % 1500);
        hcr_plugin_close(&ctx);
        CHECK(ctx.p == NULL);
    }
}

TEST(copy_dir_option_is_used)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    const char *copies = harness_path("copies");
    open_copying_to(&ctx, &r, "counter_v1", 1, path, copies, 0);
    CHECK_EQ(count_entries(copies), 1);
    hcr_plugin_close(&ctx);
    CHECK_EQ(count_entries(copies), 0);
}

TEST(no_reload_option_keeps_first_version)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    install_guest("counter_v1", path);
    struct hcr_options options = {0};
    options.no_reload = 1;
    ctx.userdata = &r;
    CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), 0);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000001);
    install_guest("counter_v2", path);
    for (int i = 0; i < 50; i++) {
        hcr_plugin_update(&ctx);
        harness_sleep_ms(2);
    }
    CHECK_EQ(r.version, 1);
    hcr_plugin_close(&ctx);
}

TEST(several_plugins_reload_independently)
{
    struct guest_report ra = {0}, rb = {0};
    struct hcr_plugin a = {0}, b = {0};
    const char *pa = harness_path("a.so"), *pb = harness_path("b.so");
    install_guest("counter_v1", pa);
    install_guest("counter_v1", pb);
    a.userdata = &ra;
    b.userdata = &rb;
    CHECK_EQ(hcr_plugin_open(&a, pa), 0);
    CHECK_EQ(hcr_plugin_open(&b, pb), 0);
    CHECK_EQ(hcr_plugin_update(&a), 1000001);
    CHECK_EQ(hcr_plugin_update(&b), 1000001);
    CHECK_EQ(hcr_plugin_update(&b), 1000002);
    install_guest("counter_v2", pb);
    update_until_version(&b, 2, 3000);
    CHECK_EQ(rb.version, 2);
    CHECK_EQ(hcr_plugin_update(&a), 1000002); /* a untouched, own state */
    install_guest("counter_v3", pa);
    update_until_version(&a, 3, 3000);
    CHECK_EQ(ra.version, 3);
    CHECK_EQ(hcr_plugin_update(&b) / 1000000, 2);
    hcr_plugin_close(&a);
    hcr_plugin_close(&b);
}
