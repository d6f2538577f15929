/*
 * live_discover.c: the running program's translation units for live
 * editing, the files each was built from, and the directories watched for
 * them (see live.h). The units are those the debug information of the
 * executable and of its shared libraries built with the reload flags names
 * (live_images.c). Each image's compile commands come from the
 * compilation database when it lists the image's sources, else they are
 * rebuilt from the image's debug information.
 */
#include "live/live.h"
#include "plugin/plugin_internal.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_Q_OVERFLOW)

static int is_system_dir(const char *dir)
{
    return !strncmp(dir, "/usr/", 5) || !strcmp(dir, "/usr");
}

/* Watches directory `dir` (once). 0, or a negative code (logged). */
static int watch_dir(struct hcr__live *lv, const char *dir)
{
    for (size_t i = 0; i < lv->ndirs; i++)
        if (!strcmp(lv->dirs[i].path, dir))
            return 0;
    struct hcr__live_dir *dirs = hcr__grow(lv->dirs, lv->ndirs, &lv->dirs_cap, sizeof *dirs, 16);
    char *copy = dirs ? strdup(dir) : NULL;
    if (dirs)
        lv->dirs = dirs;
    if (!copy) {
        hcr__log(lv->log, HCR_LOG_ERROR, "live: out of memory watching %s", dir);
        return HCR_ENOMEM;
    }
    int wd = inotify_add_watch(lv->inotify_fd, dir, WATCH_EVENTS);
    if (wd < 0) {
        int e = errno;
        hcr__log(lv->log, HCR_LOG_WARN, "live: cannot watch %s: %s (changes there are not seen)",
                 dir, strerror(e));
        free(copy);
        return -e;
    }
    lv->dirs[lv->ndirs++] = (struct hcr__live_dir){wd, copy};
    return 0;
}

/* Watches the directory holding `file`, unless it is a system one. */
static void watch_dir_of(struct hcr__live *lv, const char *file)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(file, '/');
    size_t n = slash ? (size_t)(slash - file) : 0;
    if (!slash || n >= sizeof dir)
        return;
    memcpy(dir, file, n);
    dir[n ? n : 1] = 0;
    if (!n)
        dir[0] = '/';
    if (!is_system_dir(dir))
        watch_dir(lv, dir);
}

const char *hcr__live_watched_dir(const struct hcr__live *lv, int wd)
{
    for (size_t i = 0; i < lv->ndirs; i++)
        if (lv->dirs[i].wd == wd)
            return lv->dirs[i].path;
    return NULL;
}

/* Whether `path` looks like a header (by its extension). */
static int is_header_name(const char *path)
{
    static const char *const ext[] = {".h", ".hh", ".hpp", ".hxx", ".inc", ".def"};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof *ext; i++)
        if (!strcmp(dot, ext[i]))
            return 1;
    return 0;
}

int hcr__live_unit_uses(const struct hcr__live *lv, size_t u, const char *path)
{
    const struct hcr__live_unit_state *s = &lv->state[u];
    /* Until a dependency file says which headers the unit includes, any
       header edit may concern it (the debug information names only some). */
    if (!s->deps_known && is_header_name(path))
        return 1;
    if (!s->uses)
        return !strcmp(lv->units.v[u].source, path);
    for (size_t i = 0; i < s->nuses; i++)
        if (!strcmp(s->uses[i], path))
            return 1;
    return 0;
}

void hcr__live_set_uses(struct hcr__live *lv, size_t u, const char *depfile)
{
    size_t n = 0;
    char **uses = hcr__depfile_read(depfile, lv->units.v[u].directory, &n);
    if (!uses) {
        hcr__log(lv->log, HCR_LOG_WARN,
                 "live: cannot read %s: header changes will not recompile %s", depfile,
                 lv->units.v[u].source);
        return;
    }
    struct hcr__live_unit_state *s = &lv->state[u];
    hcr__argv_free(s->uses);
    s->uses = uses;
    s->nuses = n;
    s->deps_known = 1;
    for (size_t i = 0; i < n; i++)
        watch_dir_of(lv, uses[i]);
}

/* The files the debug information of compilation unit `cu` names (its
   line table: the source and the headers it has lines or declarations
   from), as absolute paths. NULL-terminated and malloc'ed, or NULL. */
static char **files_of_unit(Dwarf_Die *cu, size_t *count)
{
    Dwarf_Files *files;
    size_t n;
    Dwarf_Attribute attr;
    const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
    if (dwarf_getsrcfiles(cu, &files, &n) != 0)
        return NULL;
    char **out = calloc(n + 1, sizeof *out);
    size_t k = 0;
    for (size_t i = 0; out && i < n; i++) {
        const char *name = dwarf_filesrc(files, i, NULL, NULL);
        char *path = NULL;
        if (!name || !strcmp(name, "<built-in>"))
            continue;
        if (name[0] == '/' ? !(path = strdup(name)) : (!dir || asprintf(&path, "%s/%s", dir, name) < 0))
            continue;
        char *real = realpath(path, NULL);
        free(path);
        if (!real)
            continue;
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(out[j], real);
        if (seen)
            free(real);
        else
            out[k++] = real;
    }
    *count = k;
    return out;
}

/* Before a unit's first compile, what it uses comes from the debug
   information of its image (`path`): a header edited before any compile
   then recompiles the units that include it. Best effort: a header the
   line table does not name is seen after the unit's first compile (-MD). */
static void initial_uses(struct hcr__live *lv, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    Dwarf *dw = e ? dwarf_begin_elf(e, DWARF_C_READ, NULL) : NULL;
    Dwarf_Off off = 0, next;
    size_t header;
    while (dw && dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu;
        size_t n = 0;
        char **files = dwarf_offdie(dw, off + header, &cu) ? files_of_unit(&cu, &n) : NULL;
        off = next;
        for (size_t u = 0; files && u < lv->units.n; u++) {
            struct hcr__live_unit_state *s = &lv->state[u];
            int ours = 0;
            for (size_t i = 0; i < n && !ours; i++)
                ours = !strcmp(files[i], lv->units.v[u].source);
            if (!ours || s->uses)
                continue;
            s->uses = files;
            s->nuses = n;
            files = NULL;
            for (size_t i = 0; i < n; i++)
                watch_dir_of(lv, s->uses[i]);
        }
        hcr__argv_free(files);
    }
    if (dw)
        dwarf_end(dw);
    if (e)
        elf_end(e);
    close(fd);
}

/* ---- which units, with which commands ---- */

/* Whether the database entry for `source` belongs to image i: the image's
   debug information names it. The executable without debug information
   cannot say, so it takes every entry no library names. */
static int listed_for(const struct hcr__live_images *images, size_t i, const char *source)
{
    if (i > 0 || images->v[0].units.n)
        return hcr__live_units_have(&images->v[i].units, source);
    for (size_t k = 1; k < images->n; k++)
        if (hcr__live_units_have(&images->v[k].units, source))
            return 0;
    return 1;
}

/* Moves the entries of `listed` that belong to image i to lv->units (which
   has room). How many. */
static size_t take_listed(struct hcr__live *lv, struct hcr__live_units *listed,
                          const struct hcr__live_images *images, size_t i)
{
    size_t kept = 0, taken = 0;
    for (size_t k = 0; k < listed->n; k++) {
        if (listed_for(images, i, listed->v[k].source)) {
            lv->units.v[lv->units.n++] = listed->v[k];
            taken++;
        } else {
            listed->v[kept++] = listed->v[k];
        }
    }
    listed->n = kept;
    return taken;
}

/* Moves every unit of `from` to lv->units (which has room). How many. */
static size_t take_all(struct hcr__live *lv, struct hcr__live_units *from)
{
    size_t n = from->n;
    for (size_t k = 0; k < n; k++)
        lv->units.v[lv->units.n++] = from->v[k];
    free(from->v);
    *from = (struct hcr__live_units){0};
    return n;
}

/* The program's units into lv->units, taking them out of `images` and
   `listed` (the entries of the database `db`; NULL without one). Each
   image's units come from the database when it lists any of them, else
   from the image's debug information (said once per image when there is
   a database). *summary lists the images units were found in ("4 in prog,
   1 in libfoo.so"). 0 or HCR_ENOMEM. */
static int take_units(struct hcr__live *lv, struct hcr__live_images *images,
                      struct hcr__live_units *listed, const char *db, char *summary,
                      size_t size)
{
    size_t room = listed ? listed->n : 0, used = 0;
    for (size_t i = 0; i < images->n; i++)
        room += images->v[i].units.n;
    if (room && !(lv->units.v = malloc(room * sizeof *lv->units.v)))
        return HCR_ENOMEM;
    summary[0] = '\0';
    for (size_t i = 0; i < images->n; i++) {
        struct hcr__live_image *im = &images->v[i];
        size_t n = listed ? take_listed(lv, listed, images, i) : 0;
        if (n)
            snprintf(lv->commands_from, sizeof lv->commands_from, "%s", db);
        if (!n && im->units.n && listed)
            hcr__log(lv->log, HCR_LOG_INFO,
                     "live: %s lists no source of %s: its compile commands come from its debug "
                     "information, which records no -D and no -I (include directories are "
                     "guessed from the headers it names)",
                     db, im->path);
        if (!n)
            n = take_all(lv, &im->units);
        if (n && used < size)
            used += (size_t)snprintf(summary + used, size - used, "%s%zu in %s",
                                     used ? ", " : "", n, hcr__base_name(im->path));
    }
    return 0;
}

/* The program's units, into lv->units. 0, HCR_ENOENT or HCR_ENOMEM
   (logged). */
static int find_units(struct hcr__live *lv, struct hcr__live_images *images,
                      const char *compile_commands, char *summary, size_t size)
{
    struct hcr__message msg = {{0}};
    struct hcr__live_units listed = {0};
    const char *exe = images->v[0].path;
    char *db = hcr__compile_db_find(compile_commands, exe);
    int have_db = db && hcr__compile_db_read(db, hcr__output_was_linked, images, &listed,
                                             &msg) == 0;
    if (db && !have_db)
        hcr__log(lv->log, HCR_LOG_WARN, "live: %s; using the debug information instead",
                 msg.text);
    if (!have_db)
        hcr__log(lv->log, HCR_LOG_INFO,
                 "live: no compilation database for %s: compile commands come from its debug "
                 "information, which records no -D and no -I (include directories are guessed "
                 "from the headers it names). For exact commands, export compile_commands.json "
                 "(CMake: -DCMAKE_EXPORT_COMPILE_COMMANDS=ON; Meson writes one; make: bear -- "
                 "make) beside the executable or pass its path",
                 exe);
    snprintf(lv->commands_from, sizeof lv->commands_from, "its debug information");
    int rc = take_units(lv, images, have_db ? &listed : NULL, db, summary, size);
    hcr__live_units_free(&listed);
    free(db);
    if (rc < 0) {
        hcr__log(lv->log, HCR_LOG_ERROR, "live: out of memory listing the units of %s", exe);
        return rc;
    }
    if (!lv->units.n) {
        hcr__log(lv->log, HCR_LOG_WARN,
                 "live: found no source file of %s or its libraries: nothing to watch (build "
                 "it with -g)", exe);
        return HCR_ENOENT;
    }
    return 0;
}

int hcr__live_has_units(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = 0;
    struct hcr__live_units units = {0};
    struct hcr__message msg = {{0}};
    int rc = hcr__units_from_debug_info(exe, &units, &msg);
    hcr__live_units_free(&units);
    return rc == 0;
}

void hcr__live_init(struct hcr__live *lv)
{
    memset(lv, 0, sizeof *lv);
    lv->inotify_fd = -1;
}

int hcr__live_discover(struct hcr__live *lv, const char *compile_commands,
                       const struct hcr__log *log)
{
    lv->log = log;
    struct hcr__live_images images;
    int rc = hcr__live_images_find(&images, log);
    if (rc < 0)
        return rc;
    const char *exe = images.v[0].path;
    char summary[512];
    rc = find_units(lv, &images, compile_commands, summary, sizeof summary);
    struct hcr__message msg = {{0}};
    if (rc == 0 && !(lv->state = calloc(lv->units.n, sizeof *lv->state))) {
        rc = HCR_ENOMEM;
        hcr__log(log, HCR_LOG_ERROR, "live: out of memory listing the units of %s", exe);
    }
    for (size_t u = 0; rc == 0 && u < lv->units.n; u++)
        lv->state[u].need_deps = 1;
    if (rc == 0 && (rc = hcr__snapshot_dir_create(NULL, exe, &lv->cache_dir, &msg)) < 0)
        hcr__log(log, HCR_LOG_ERROR, "live: %s", msg.text);
    if (rc == 0 && (lv->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0) {
        rc = -errno;
        hcr__log(log, HCR_LOG_ERROR, "live: inotify_init1: %s", strerror(errno));
    }
    for (size_t u = 0; rc == 0 && u < lv->units.n; u++)
        watch_dir_of(lv, lv->units.v[u].source);
    for (size_t i = 0; rc == 0 && i < images.n; i++)
        initial_uses(lv, images.v[i].path);
    /* Last, so that whoever sees this line knows saves are seen. */
    if (rc == 0)
        hcr__log(log, HCR_LOG_INFO, "live: %zu units of %s (%s; commands from %s), watching "
                 "%zu directories",
                 lv->units.n, exe, summary, lv->commands_from, lv->ndirs);
    hcr__live_images_free(&images);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    lv->max_compiles = cores < 1 ? 1 : cores > HCR__LIVE_MAX_COMPILES ? HCR__LIVE_MAX_COMPILES
                                                                      : (size_t)cores;
    if (rc < 0)
        hcr__live_close(lv);
    return rc;
}

void hcr__live_close(struct hcr__live *lv)
{
    for (size_t u = 0; lv->state && u < lv->units.n; u++)
        hcr__argv_free(lv->state[u].uses);
    free(lv->state);
    lv->state = NULL;
    hcr__live_units_free(&lv->units);
    for (size_t i = 0; i < lv->ndirs; i++)
        free(lv->dirs[i].path);
    free(lv->dirs);
    lv->dirs = NULL;
    lv->ndirs = lv->dirs_cap = 0;
    /* Not an open descriptor any more before it is closed (a fork in
       between must not close its number in the child, see live.h). */
    int fd = lv->inotify_fd;
    lv->inotify_fd = -1;
    if (fd >= 0)
        close(fd);
    hcr__snapshot_dir_remove(lv->cache_dir);
    if (lv->cache_dir)
        rmdir(lv->cache_dir);
    free(lv->cache_dir);
    lv->cache_dir = NULL;
}

void hcr__live_abandon(struct hcr__live *lv)
{
    hcr__live_compile_abandon(lv);
    if (lv->inotify_fd >= 0)
        close(lv->inotify_fd);
}
