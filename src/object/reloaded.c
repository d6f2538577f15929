/*
 * reloaded.c: the functions and variables reloads added to the program,
 * so that later reloads (of the same unit, or of another file naming a
 * new global) bind to them like to the program's own. Kept apart from the
 * process index (symbols.c), which is rebuilt when libraries come and go:
 * an entry is keyed by what survives a rebuild (the image's address, the
 * source file's name and rank among same-named files). Its own lock, taken
 * alone (see records.c for the order).
 */
#include "object/reloaded.h"
#include "dwarf/pieces.h"
#include "dwarf/types.h"

#include <elf.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct reloaded {
    uintptr_t image_lo;
    char *file_name;     /* NULL for globals */
    unsigned ordinal;    /* rank of the file group; UINT_MAX if the program has none */
    char *name;
    struct hcr__proc_sym sym;
    struct hcr__type *type; /* owned; NULL when unknown */
    int moved;              /* storage that replaces the program's own (a
                               variable migrated to a new layout) */
    struct hcr__dwarf_piece *runs; /* a split variable (link_pieces.c): where
                                      each stored part lives; NULL otherwise */
    size_t nruns;
    int split;
};

static struct reloaded *reloaded;
static size_t nreloaded, reloaded_cap, nsplit;
static pthread_mutex_t reloaded_lock = PTHREAD_MUTEX_INITIALIZER;

static int reloaded_matches(const struct reloaded *r, uintptr_t lo, const char *file_name,
                            unsigned ordinal, const char *name)
{
    if (r->image_lo != lo || strcmp(r->name, name))
        return 0;
    if (!file_name || !r->file_name)
        return !file_name && !r->file_name;
    return r->ordinal == ordinal && !strcmp(r->file_name, file_name);
}

static const struct hcr__proc_sym *find(const struct hcr__process *p, size_t image,
                                        uint32_t file, const char *file_name, const char *name,
                                        int moved_only)
{
    uintptr_t lo = hcr__process_image(p, image)->lo;
    unsigned ordinal = hcr__process_file_ordinal(p, file);
    pthread_mutex_lock(&reloaded_lock);
    const struct hcr__proc_sym *found = NULL;
    for (size_t i = nreloaded; i-- > 0 && !found;)
        if (!reloaded[i].split && (!moved_only || reloaded[i].moved) &&
            reloaded_matches(&reloaded[i], lo, file_name, ordinal, name))
            found = &reloaded[i].sym;
    pthread_mutex_unlock(&reloaded_lock);
    return found;
}

const struct hcr__proc_sym *hcr__reloaded_find(const struct hcr__process *p, size_t image,
                                               uint32_t file, const char *file_name,
                                               const char *name)
{
    return find(p, image, file, file_name, name, 0);
}

const struct hcr__proc_sym *hcr__reloaded_find_moved(const struct hcr__process *p, size_t image,
                                                     uint32_t file, const char *file_name,
                                                     const char *name)
{
    return find(p, image, file, file_name, name, 1);
}

size_t hcr__reloaded_count(void)
{
    pthread_mutex_lock(&reloaded_lock);
    size_t n = nreloaded;
    pthread_mutex_unlock(&reloaded_lock);
    return n;
}

void hcr__reloaded_truncate(size_t count)
{
    pthread_mutex_lock(&reloaded_lock);
    for (; nreloaded > count; nreloaded--) {
        nsplit -= reloaded[nreloaded - 1].split;
        free(reloaded[nreloaded - 1].runs);
        free(reloaded[nreloaded - 1].name);
        free(reloaded[nreloaded - 1].file_name);
        hcr__type_clone_free(reloaded[nreloaded - 1].type);
    }
    pthread_mutex_unlock(&reloaded_lock);
}

int hcr__reloaded_add(const struct hcr__process *p, size_t image, uint32_t file,
                              const char *file_name, const char *name, uintptr_t address,
                              uint64_t size, unsigned type, struct hcr__type *type_tree,
                              int moved)
{
    int rc = 0;
    pthread_mutex_lock(&reloaded_lock);
    struct reloaded *grown = hcr__grow(reloaded, nreloaded, &reloaded_cap, sizeof *grown, 64);
    if (!grown) {
        hcr__type_clone_free(type_tree);
        rc = HCR_ENOMEM;
        goto out;
    }
    reloaded = grown;
    struct reloaded *r = &reloaded[nreloaded];
    r->image_lo = hcr__process_image(p, image)->lo;
    r->ordinal = hcr__process_file_ordinal(p, file);
    r->name = strdup(name);
    r->file_name = file_name ? strdup(file_name) : NULL;
    if (!r->name || (file_name && !r->file_name)) {
        free(r->name);
        free(r->file_name);
        hcr__type_clone_free(type_tree);
        rc = HCR_ENOMEM;
        goto out;
    }
    r->sym = (struct hcr__proc_sym){
        .name = r->name,
        .name_len = strlen(r->name),
        .address = address,
        .size = size,
        .type = (unsigned char)type,
        .bind = file_name ? STB_LOCAL : STB_GLOBAL,
        .image = (uint32_t)image,
        .file = file,
    };
    r->type = type_tree;
    r->moved = moved;
    r->runs = NULL;
    r->nruns = 0;
    r->split = 0;
    nreloaded++;
out:
    pthread_mutex_unlock(&reloaded_lock);
    return rc;
}

const struct hcr__type *hcr__reloaded_type_at(uintptr_t address, int *known)
{
    const struct hcr__type *type = NULL;
    *known = 0;
    pthread_mutex_lock(&reloaded_lock);
    for (size_t i = nreloaded; i-- > 0;)
        if (!reloaded[i].split && reloaded[i].sym.address == address &&
            reloaded[i].sym.type != STT_FUNC) {
            type = reloaded[i].type;
            *known = 1;
            break;
        }
    pthread_mutex_unlock(&reloaded_lock);
    return type;
}

int hcr__reloaded_add_split(const struct hcr__process *p, size_t image, uint32_t file,
                            const char *file_name, const char *key, struct hcr__type *type_tree,
                            const struct hcr__dwarf_piece *runs, size_t n)
{
    struct hcr__dwarf_piece *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) {
        hcr__type_clone_free(type_tree);
        return HCR_ENOMEM;
    }
    if (n)
        memcpy(copy, runs, n * sizeof *copy);
    int rc = hcr__reloaded_add(p, image, file, file_name, key, 0, 0, STT_OBJECT, type_tree, 0);
    if (rc < 0) {
        free(copy);
        return rc;
    }
    pthread_mutex_lock(&reloaded_lock);
    struct reloaded *r = &reloaded[nreloaded - 1];
    r->runs = copy;
    r->nruns = n;
    r->split = 1;
    nsplit++;
    pthread_mutex_unlock(&reloaded_lock);
    return 0;
}

int hcr__reloaded_any_split(void)
{
    pthread_mutex_lock(&reloaded_lock);
    int any = nsplit > 0;
    pthread_mutex_unlock(&reloaded_lock);
    return any;
}

int hcr__reloaded_find_storage(const struct hcr__process *p, size_t image, uint32_t file,
                               const char *file_name, const char *key,
                               struct hcr__reloaded_storage *out)
{
    uintptr_t lo = hcr__process_image(p, image)->lo;
    unsigned ordinal = hcr__process_file_ordinal(p, file);
    int found = 0;
    pthread_mutex_lock(&reloaded_lock);
    for (size_t i = nreloaded; i-- > 0 && !found;) {
        const struct reloaded *r = &reloaded[i];
        if (r->sym.type == STT_FUNC || !reloaded_matches(r, lo, file_name, ordinal, key))
            continue;
        found = 1;
        out->type = r->type;
        out->split = r->split;
        if (r->split) {
            out->runs = r->runs;
            out->nruns = r->nruns;
        } else {
            out->whole = (struct hcr__dwarf_piece){.offset = 0, .size = r->sym.size,
                                                   .address = r->sym.address};
            out->runs = &out->whole;
            out->nruns = 1;
        }
    }
    pthread_mutex_unlock(&reloaded_lock);
    return found;
}
