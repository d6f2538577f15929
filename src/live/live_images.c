/*
 * live_images.c: the images loaded in the process whose translation units
 * live editing can reload (units.h: hcr__live_images_find). The dynamic
 * linker lists them (dl_iterate_phdr); the debug information of each names
 * its units. Every image whose own file carries debug information counts,
 * whatever its flags: object mode redirects functions built without
 * patchable entries too. System libraries carry none (their debug
 * information, when installed, is in separate files hcr does not read),
 * so they are passed over.
 */
#include "live/argv.h"
#include "live/units.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether the library `path` is one live editing never looks into: hcr's
   own (libhcr.so.0, libhcr_live.so: the reloader does not reload itself)
   or the vDSO, which has no file (glibc names it linux-vdso.so.1; 32-bit
   kernels linux-gate.so.1). */
static int is_left_out(const char *path)
{
    const char *base = hcr__base_name(path);
    if (!*base || !strncmp(base, "linux-vdso", 10) || !strncmp(base, "linux-gate", 10))
        return 1;
    return !strncmp(base, "libhcr", 6) && strstr(base, ".so") != NULL;
}

struct library_names {
    struct hcr__argv names;
    size_t seen;
};

/* dl_iterate_phdr callback: notes the name of each library. The first
   image is the executable (its name is empty; /proc/self/exe names it).
   Only copies: the dynamic linker's lock is held. */
static int note_library(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct library_names *l = arg;
    (void)size;
    if (l->seen++ && info->dlpi_name && !is_left_out(info->dlpi_name))
        hcr__argv_push(&l->names, info->dlpi_name);
    return 0;
}

/* Drops the units whose source an image of `images` has already. */
static void drop_taken(struct hcr__live_units *units, const struct hcr__live_images *images)
{
    size_t kept = 0;
    for (size_t i = 0; i < units->n; i++) {
        int taken = 0;
        for (size_t k = 0; k < images->n && !taken; k++)
            taken = hcr__live_units_have(&images->v[k].units, units->v[i].source);
        if (taken)
            hcr__live_unit_clear(&units->v[i]);
        else
            units->v[kept++] = units->v[i];
    }
    units->n = kept;
}

/* Appends the image at `path` with `units`, which it takes over (freed on
   failure). 0 or HCR_ENOMEM. */
static int append_image(struct hcr__live_images *images, size_t *cap, const char *path,
                        struct hcr__live_units *units)
{
    struct hcr__live_image *grown = hcr__grow(images->v, images->n, cap, sizeof *grown, 8);
    char *copy = grown ? strdup(path) : NULL;
    if (grown)
        images->v = grown;
    if (!copy) {
        hcr__live_units_free(units);
        return HCR_ENOMEM;
    }
    images->v[images->n++] = (struct hcr__live_image){copy, *units};
    *units = (struct hcr__live_units){0};
    return 0;
}

/* Whether reading an image's debug information failed for want of
   memory or descriptors. Discovery then fails: it would watch fewer units
   than the program has, and a save of a unit left out would go unseen.
   Any other failure says the file has nothing to give (no debug
   information, not an ELF file, gone). */
static int lacks_resources(int rc)
{
    return rc == HCR_ENOMEM || rc == -EMFILE || rc == -ENFILE;
}

/* The units of library `path` that live editing can reload, into *units
   (left empty when there are none). 0, or a negative code (logged) when
   the library could not be read for want of resources. */
static int library_units(const char *path, const struct hcr__live_images *images,
                         struct hcr__live_units *units, const struct hcr__log *log)
{
    struct hcr__message msg = {{0}};
    int rc = hcr__units_from_debug_info(path, units, &msg);
    if (rc < 0 && lacks_resources(rc)) {
        hcr__log(log, HCR_LOG_ERROR, "live: %s", msg.text);
        return rc;
    }
    if (rc < 0)
        return 0; /* no debug information: a system library */
    drop_taken(units, images);
    return 0;
}

/* The executable's path and units into a first image. 0, or a negative
   code (logged). */
static int add_executable(struct hcr__live_images *images, size_t *cap,
                          const struct hcr__log *log)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        hcr__log(log, HCR_LOG_ERROR, "live: cannot read /proc/self/exe: %s", strerror(errno));
        return HCR_ENOENT;
    }
    exe[n] = 0;
    struct hcr__live_units units = {0};
    struct hcr__message msg = {{0}};
    int rc = hcr__units_from_debug_info(exe, &units, &msg);
    if (rc < 0 && rc != HCR_ENOMEM && lacks_resources(rc)) {
        hcr__log(log, HCR_LOG_ERROR, "live: %s", msg.text);
        return rc;
    }
    if (rc < 0 && rc != HCR_ENOMEM)
        hcr__log(log, HCR_LOG_WARN, "live: %s", msg.text);
    if (rc == HCR_ENOMEM || append_image(images, cap, exe, &units) < 0) {
        hcr__log(log, HCR_LOG_ERROR, "live: out of memory reading the debug information of %s",
                 exe);
        return HCR_ENOMEM;
    }
    return 0;
}

int hcr__live_images_find(struct hcr__live_images *out, const struct hcr__log *log)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    int rc = add_executable(out, &cap, log);
    struct library_names libs = {{0}, 0};
    if (rc == 0)
        dl_iterate_phdr(note_library, &libs);
    if (libs.names.failed) {
        hcr__log(log, HCR_LOG_ERROR, "live: out of memory listing the loaded libraries");
        rc = HCR_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < libs.names.n; i++) {
        struct hcr__live_units units = {0};
        rc = library_units(libs.names.v[i], out, &units, log);
        if (rc == 0 && units.n && (rc = append_image(out, &cap, libs.names.v[i], &units)) < 0)
            hcr__log(log, HCR_LOG_ERROR, "live: out of memory reading the debug information "
                     "of %s", libs.names.v[i]);
    }
    hcr__argv_free(libs.names.v);
    if (rc < 0)
        hcr__live_images_free(out);
    return rc;
}

void hcr__live_images_free(struct hcr__live_images *images)
{
    for (size_t i = 0; i < images->n; i++) {
        free(images->v[i].path);
        hcr__live_units_free(&images->v[i].units);
    }
    free(images->v);
    images->v = NULL;
    images->n = 0;
}
