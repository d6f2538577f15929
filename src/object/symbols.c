/*
 * symbols.c: the process symbol index (see symbols.h). Images come from
 * dl_iterate_phdr; each image's file is mapped read-only, validated by the
 * ELF reader, and its symbols go into one open-addressing hash table keyed by
 * (image, file group, name). File groups follow the STT_FILE symbols of the
 * static symbol table, which the static linker keeps in front of each input
 * file's locals; what the debug information says of them (compilation unit
 * paths, function-local statics) is read lazily by process_units.c.
 */
#include "object/symbols.h"
#include "arch/reloc.h"
#include "dwarf/statics.h"
#include "object/dwarf_statics.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object/process_internal.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hcr__process *cache;

static uint64_t hash_key(uint32_t image, uint32_t file, const char *name, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ ((uint64_t)image << 32 | file);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static size_t base_len(const char *name)
{
    const char *at = strchr(name, '@');
    return at ? (size_t)(at - name) : strlen(name);
}

/* ---- collecting images ---------------------------------------------- */

struct collect {
    struct hcr__process *p;
    size_t cap;
    int failed;
};

/* dl_iterate_phdr callback: appends one image (the first one seen is the
   executable) with its address range and TLS module. Stops on ENOMEM. */
static int collect_image(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct collect *c = arg;
    struct hcr__process *p = c->p;
    (void)size;
    int first = p->nimages == 0;
    if (!first && (!info->dlpi_name || !info->dlpi_name[0]))
        return 0; /* the vDSO on some systems: no file */
    struct hcr__proc_image *images =
        hcr__grow(p->images, p->nimages, &c->cap, sizeof *images, 16);
    if (!images) {
        c->failed = 1;
        return 1;
    }
    p->images = images;
    struct hcr__proc_image *im = &p->images[p->nimages];
    memset(im, 0, sizeof *im);
    im->is_executable = first;
    im->path = strdup(first ? "/proc/self/exe" : info->dlpi_name);
    if (!im->path) {
        c->failed = 1;
        return 1;
    }
    im->bias = info->dlpi_addr;
    im->lo = UINTPTR_MAX;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
            uintptr_t hi = lo + ph->p_memsz;
            if (lo < im->lo)
                im->lo = lo;
            if (hi > im->hi)
                im->hi = hi;
        }
    }
    if (im->lo == UINTPTR_MAX)
        im->lo = im->hi = info->dlpi_addr;
    im->tls_modid = info->dlpi_tls_modid;
    /* The executable's TLS block is always static TLS, at the same offset
       from the thread pointer in every thread. */
    if (first && info->dlpi_tls_modid && info->dlpi_tls_data) {
        im->tls_static = 1;
        im->tls_tpoff = (intptr_t)((uintptr_t)info->dlpi_tls_data - hcr__arch_thread_pointer());
    }
    p->adds = info->dlpi_adds;
    p->subs = info->dlpi_subs;
    p->nimages++;
    return 0;
}

/* ---- indexing one image ---------------------------------------------- */

static int add_sym(struct hcr__process *p, const struct hcr__proc_sym *s)
{
    struct hcr__proc_sym *syms = hcr__grow(p->syms, p->nsyms, &p->syms_cap, sizeof *syms, 4096);
    if (!syms)
        return HCR_ENOMEM;
    p->syms = syms;
    p->syms[p->nsyms++] = *s;
    return 0;
}

static int add_group(struct hcr__process *p, uint32_t image, const char *name, uint32_t *id)
{
    struct file_group *groups =
        hcr__grow(p->groups, p->ngroups, &p->groups_cap, sizeof *groups, 256);
    if (!groups)
        return HCR_ENOMEM;
    p->groups = groups;
    unsigned ordinal = 0;
    for (size_t g = p->ngroups; g-- > 0 && p->groups[g].image == image;)
        ordinal += !strcmp(p->groups[g].name, name);
    p->groups[p->ngroups] = (struct file_group){
        .image = image, .name = name, .ordinal = ordinal, .first_sym = p->nsyms,
        .end_sym = p->nsyms};
    *id = (uint32_t)++p->ngroups;
    return 0;
}

/* Maps the whole file read-only. 0, or a negative code. */
static int map_file(const char *path, void **map, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0)
        rc = -errno;
    else if (st.st_size <= 0)
        rc = HCR_ENOEXEC;
    else {
        *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (*map == MAP_FAILED)
            rc = -errno;
        else
            *size = (size_t)st.st_size;
    }
    close(fd);
    return rc;
}

/* Whether a local symbol of a linked image was a global at link time, made
   local by the static linker (hidden or internal visibility, a version
   script's `local:`). GNU ld lists such symbols after an STT_FILE symbol
   with an empty name and resets their visibility to default; gold and lld
   keep the visibility and list them among some file's locals (gold: the
   last file's). Their names were global in one link, so each is unique in
   its image: they are indexed as the image's globals, by name alone. */
static int is_linker_local(const Elf64_Sym *s, int after_linker_file)
{
    return after_linker_file || ELF64_ST_VISIBILITY(s->st_other) != STV_DEFAULT;
}

/* Adds the symbols of image i from its file. An image whose file cannot be
   read or validated is skipped with a log line: its globals stay reachable
   through the dynamic linker. */
static int index_image(struct hcr__process *p, uint32_t i)
{
    struct hcr__proc_image *im = &p->images[i];
    struct image_file *f = &p->files[i];
    struct hcr__message msg;
    if (map_file(im->path, &f->map, &f->size) < 0) {
        f->map = NULL;
        return 0;
    }
    if (hcr__elf_open(&f->elf, im->path, f->map, f->size, 0, 0, &msg) < 0) {
        hcr__log(NULL, HCR_LOG_DEBUG, "object: not indexing %s", msg.text);
        return 0;
    }
    f->valid = 1;
    const Elf64_Sym *syms = f->elf.syms;
    size_t n = f->elf.nsyms;
    int dynamic = 0;
    if (!syms) {
        syms = f->elf.dynsyms;
        n = f->elf.ndynsyms;
        dynamic = 1;
    }
    uint32_t group = HCR__NO_FILE;
    int after_linker_file = 0; /* after bfd's empty-named STT_FILE */
    for (size_t k = 1; k < n; k++) {
        const Elf64_Sym *s = &syms[k];
        unsigned type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
        const char *name = dynamic ? hcr__elf_dynsym_name(&f->elf, s) : hcr__elf_sym_name(&f->elf, s);
        if (type == STT_FILE) {
            if (bind != STB_LOCAL)
                continue;
            after_linker_file = !name[0];
            if (!after_linker_file && add_group(p, i, name, &group) < 0)
                return HCR_ENOMEM;
            continue;
        }
        if (type == STT_SECTION || s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS || !name[0])
            continue;
        if (type != STT_FUNC && type != STT_OBJECT && type != STT_TLS && type != STT_NOTYPE &&
            type != STT_GNU_IFUNC && type != STT_COMMON)
            continue;
        int was_global = bind == STB_LOCAL && is_linker_local(s, after_linker_file);
        if (bind == STB_LOCAL && !was_global && group == HCR__NO_FILE)
            continue; /* a local of unknown origin cannot be matched */
        int file_local = bind == STB_LOCAL && !was_global;
        struct hcr__proc_sym ps = {
            .name = name,
            .name_len = base_len(name),
            .address = type == STT_TLS ? (uintptr_t)s->st_value : im->bias + s->st_value,
            .size = s->st_size,
            .type = (unsigned char)type,
            .bind = (unsigned char)bind,
            .image = i,
            .file = file_local ? group : HCR__NO_FILE,
        };
        if (file_local && type == STT_FUNC && !p->groups[group - 1].function)
            p->groups[group - 1].function = s->st_value;
        if (file_local && type == STT_OBJECT && !p->groups[group - 1].variable)
            p->groups[group - 1].variable = s->st_value;
        if (add_sym(p, &ps) < 0)
            return HCR_ENOMEM;
        if (ps.file != HCR__NO_FILE)
            p->groups[ps.file - 1].end_sym = p->nsyms;
    }
    return 0;
}

/* Builds the hash table over every indexed symbol; for a key defined twice
   the first strong definition wins. 0 or HCR_ENOMEM. */
static int build_table(struct hcr__process *p)
{
    size_t n = 16;
    while (n < p->nsyms * 2)
        n *= 2;
    p->slots = calloc(n, sizeof *p->slots);
    if (!p->slots)
        return HCR_ENOMEM;
    p->nslots = n;
    for (size_t k = 0; k < p->nsyms; k++) {
        const struct hcr__proc_sym *s = &p->syms[k];
        size_t at = hash_key(s->image, s->file, s->name, s->name_len) & (n - 1);
        while (p->slots[at]) {
            const struct hcr__proc_sym *o = &p->syms[p->slots[at] - 1];
            /* Keep the first definition of a key: a strong one over a
               weak one that came earlier. */
            if (o->image == s->image && o->file == s->file && o->name_len == s->name_len &&
                !memcmp(o->name, s->name, s->name_len)) {
                if (o->bind == STB_WEAK && s->bind == STB_GLOBAL)
                    p->slots[at] = (uint32_t)k + 1;
                else if (o->bind == STB_LOCAL && s->bind == STB_LOCAL && o->address != s->address)
                    p->syms[p->slots[at] - 1].ambiguous = 1; /* two linker-made locals */
                goto next;
            }
            at = (at + 1) & (n - 1);
        }
        p->slots[at] = (uint32_t)k + 1;
    next:;
    }
    return 0;
}

static void process_free(struct hcr__process *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nimages; i++) {
        free(p->images[i].path);
        if (p->files && p->files[i].dw)
            dwarf_end(p->files[i].dw);
        if (p->files && p->files[i].dw_elf)
            elf_end(p->files[i].dw_elf);
        if (p->files && p->files[i].map)
            munmap(p->files[i].map, p->files[i].size);
    }
    for (size_t g = 0; g < p->ngroups; g++) {
        free(p->groups[g].cu_path);
        hcr__local_statics_free(p->groups[g].statics, p->groups[g].nstatics);
    }
    free(p->images);
    free(p->files);
    free(p->syms);
    free(p->slots);
    free(p->groups);
    free(p);
}

/* Builds the whole index. NULL + msg if the executable's own file cannot be
   read or memory runs out; libraries that cannot be read are skipped. */
static struct hcr__process *process_build(struct hcr__message *msg)
{
    struct hcr__process *p = calloc(1, sizeof *p);
    if (!p)
        goto oom;
    struct collect c = {.p = p};
    dl_iterate_phdr(collect_image, &c);
    if (c.failed)
        goto oom;
    p->files = calloc(p->nimages ? p->nimages : 1, sizeof *p->files);
    if (!p->files)
        goto oom;
    for (uint32_t i = 0; i < p->nimages; i++)
        if (index_image(p, i) < 0)
            goto oom;
    if (!p->nimages || !p->files[0].valid) {
        hcr__fail(msg, HCR_ENOEXEC, "cannot read the running executable's symbol table (%s)",
                  "/proc/self/exe");
        process_free(p);
        return NULL;
    }
    if (build_table(p) < 0)
        goto oom;
    return p;
oom:
    process_free(p);
    hcr__fail(msg, HCR_ENOMEM, "out of memory indexing the process's symbols");
    return NULL;
}

static int counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    unsigned long long *c = arg;
    c[0] = info->dlpi_adds;
    c[1] = info->dlpi_subs;
    return 1;
}

struct hcr__process *hcr__process_get(struct hcr__message *msg)
{
    unsigned long long c[2] = {0, 0};
    dl_iterate_phdr(counters, c);
    pthread_mutex_lock(&cache_lock);
    if (cache && (cache->adds != c[0] || cache->subs != c[1])) {
        process_free(cache);
        cache = NULL;
    }
    if (!cache)
        cache = process_build(msg);
    struct hcr__process *p = cache;
    pthread_mutex_unlock(&cache_lock);
    return p;
}

void hcr__process_release(void)
{
    pthread_mutex_lock(&cache_lock);
    process_free(cache);
    cache = NULL;
    pthread_mutex_unlock(&cache_lock);
}

size_t hcr__process_image_count(const struct hcr__process *p)
{
    return p->nimages;
}

const struct hcr__proc_image *hcr__process_image(const struct hcr__process *p, size_t i)
{
    return i < p->nimages ? &p->images[i] : NULL;
}

static const struct hcr__proc_sym *find(const struct hcr__process *p, uint32_t image, uint32_t file,
                                        const char *name)
{
    size_t len = strlen(name);
    size_t at = hash_key(image, file, name, len) & (p->nslots - 1);
    while (p->slots[at]) {
        const struct hcr__proc_sym *s = &p->syms[p->slots[at] - 1];
        if (s->image == image && s->file == file && s->name_len == len && !memcmp(s->name, name, len))
            return s->ambiguous ? NULL : s;
        at = (at + 1) & (p->nslots - 1);
    }
    return NULL;
}

const struct hcr__proc_sym *hcr__process_find_global(const struct hcr__process *p, size_t image,
                                                     const char *name)
{
    return find(p, (uint32_t)image, HCR__NO_FILE, name);
}

const struct hcr__proc_sym *hcr__process_find_local(const struct hcr__process *p, size_t image,
                                                    uint32_t file, const char *name)
{
    if (file == HCR__NO_FILE)
        return NULL;
    return find(p, (uint32_t)image, file, name);
}

const struct hcr__proc_sym *hcr__process_find_local_anywhere(const struct hcr__process *p,
                                                             size_t image, const char *name,
                                                             size_t *count)
{
    const struct hcr__proc_sym *found = NULL;
    *count = 0;
    for (size_t g = 0; g < p->ngroups; g++) {
        if (p->groups[g].image != image)
            continue;
        const struct hcr__proc_sym *s = find(p, (uint32_t)image, (uint32_t)g + 1, name);
        if (s) {
            found = s;
            ++*count;
        }
    }
    return *count == 1 ? found : NULL;
}

const void *hcr__process_image_file(const struct hcr__process *p, size_t image, size_t *size)
{
    if (image >= p->nimages || !p->files[image].valid)
        return NULL;
    *size = p->files[image].size;
    return p->files[image].map;
}

const struct hcr__proc_sym *hcr__process_symbol_at(const struct hcr__process *p, size_t image,
                                                   uintptr_t address, const char *name,
                                                   int function)
{
    size_t len = strlen(name);
    for (size_t k = 0; k < p->nsyms; k++) {
        const struct hcr__proc_sym *s = &p->syms[k];
        if (s->image == image && s->address == address && s->name_len == len &&
            !memcmp(s->name, name, len) && (s->type == STT_FUNC) == !!function &&
            s->type != STT_TLS)
            return s;
    }
    return NULL;
}

int hcr__process_initial_address(const struct hcr__process *p, size_t image, uintptr_t address,
                                 uintptr_t *value)
{
    if (image >= p->nimages || !p->files[image].valid)
        return 0;
    const struct image_file *f = &p->files[image];
    const struct hcr__proc_image *im = &p->images[image];
    uint64_t vaddr = address - im->bias;
    for (size_t i = 0; i < f->elf.phnum; i++) {
        const Elf64_Phdr *ph = &f->elf.phdrs[i];
        if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr || vaddr - ph->p_vaddr > ph->p_filesz ||
            ph->p_filesz - (vaddr - ph->p_vaddr) < sizeof(uint64_t))
            continue;
        uint64_t off = ph->p_offset + (vaddr - ph->p_vaddr);
        if (off > f->size || f->size - off < sizeof(uint64_t))
            return 0;
        uint64_t stored;
        memcpy(&stored, (const unsigned char *)f->map + off, sizeof stored);
        *value = f->elf.ehdr->e_type == ET_DYN ? (uintptr_t)stored + im->bias : (uintptr_t)stored;
        return 1;
    }
    return 0;
}

/* Whether `name` is in the dynamic symbol table of the image file f,
   defined (`defined`) or referred to. */
static int dynamic_has(const struct image_file *f, const char *name, int defined)
{
    if (!f->valid)
        return 0;
    for (size_t k = 1; k < f->elf.ndynsyms; k++) {
        const Elf64_Sym *s = &f->elf.dynsyms[k];
        if ((s->st_shndx != SHN_UNDEF) == defined &&
            !strcmp(hcr__elf_dynsym_name(&f->elf, s), name))
            return 1;
    }
    return 0;
}

const char *hcr__process_named_by_other_images(const struct hcr__process *p, size_t image,
                                               const char *name)
{
    if (image >= p->nimages || !dynamic_has(&p->files[image], name, 1))
        return NULL;
    for (size_t i = 0; i < p->nimages; i++)
        if (i != image && dynamic_has(&p->files[i], name, 0))
            return p->images[i].path;
    return NULL;
}
