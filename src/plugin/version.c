/*
 * version.c: turning a build output into a loaded, indexed version, off the
 * host's thread. The steps, each of which can refuse the build with a
 * message naming the file and the problem:
 *   copy the build into the private directory (the copy is what runs);
 *   validate the copy as an x86-64 shared object, every offset checked;
 *   check it exports its entry point (hcr_main, or hcr_options.main_name);
 *   edit the copy's program headers so the loader causes no TLB flush
 *     (load_edits.c), unless the plugin asks for an exact copy;
 *   dlopen it with every symbol bound now (an undefined symbol fails here,
 *     not in the middle of a step);
 *   index its variables, read their types from the debug information,
 *     and remember their loaded values.
 * A refused build leaves no file and no mapping behind.
 */
#include "plugin_internal.h"
#include "arch/reloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int exports_function(const struct hcr__elf *elf, const char *name)
{
    for (size_t i = 1; i < elf->ndynsyms; i++) {
        const Elf64_Sym *s = &elf->dynsyms[i];
        if (s->st_shndx != SHN_UNDEF && ELF64_ST_TYPE(s->st_info) == STT_FUNC &&
            strcmp(hcr__elf_dynsym_name(elf, s), name) == 0)
            return 1;
    }
    return 0;
}

/* Where the dynamic loader put the copy, and its executable range. */
static void find_ranges(struct hcr__version *v)
{
    struct link_map *map = NULL;
    if (dlinfo(v->handle, RTLD_DI_LINKMAP, &map) != 0 || !map)
        return;
    v->base = map->l_addr;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (size_t i = 0; i < v->elf.phnum; i++) {
        const Elf64_Phdr *ph = &v->elf.phdrs[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (v->base + ph->p_vaddr < lo)
            lo = v->base + ph->p_vaddr;
        if (v->base + ph->p_vaddr + ph->p_memsz > hi)
            hi = v->base + ph->p_vaddr + ph->p_memsz;
    }
    if (hi > lo) {
        v->code_lo = lo;
        v->code_hi = hi;
    }
}

static int load(struct hcr__plugin *p, struct hcr__version *v)
{
    const char *src = p->path;
    int rc = hcr__elf_open(&v->elf, src, v->snapshot.bytes, v->snapshot.size,
                           hcr__arch_machine(), ET_DYN, &v->message);
    if (rc < 0)
        return rc;
    if (!exports_function(&v->elf, p->main_name))
        return hcr__fail(&v->message, HCR_ENOSYM,
                         "%s: does not export %s (define it with HCR_EXPORT, or CR_EXPORT "
                         "under hcr's cr.h)",
                         src, p->main_name);
    if (!p->exact_copy && (rc = hcr__load_edits_apply(v, src)) < 0)
        return rc;
    hcr__snapshot_seal(&v->snapshot);

    dlerror();
    v->handle = dlopen(v->copy_path, RTLD_NOW | RTLD_LOCAL);
    if (!v->handle) {
        const char *why = dlerror();
        int code = why && strstr(why, "undefined symbol") ? HCR_ENOSYM : HCR_EDLOPEN;
        return hcr__fail(&v->message, code, "%s: cannot be loaded: %s", src,
                         why ? why : "unknown reason");
    }
    v->main = (hcr__main_fn)dlsym(v->handle, p->main_name);
    if (!v->main)
        return hcr__fail(&v->message, HCR_ENOSYM, "%s: %s not found by the loader", src,
                         p->main_name);
    find_ranges(v);
    /* The types of its variables: read here, on the watch thread, so
       that the reload itself only compares them. */
    struct hcr__static_names names = {0};
    rc = hcr__types_open(v->snapshot.bytes, v->snapshot.size, &v->types);
    if (rc == 0)
        rc = hcr__static_names_read(v->types, &names);
    if (rc == 0) {
        rc = hcr__state_build(&v->vars, &v->elf, &names, v->base, &v->message);
        hcr__static_names_free(&names);
    } else {
        hcr__fail(&v->message, rc, "%s: out of memory reading debug information", src);
    }
    if (rc < 0)
        return rc;
    if ((rc = hcr__pointer_index_build(&v->pointers, &v->vars, &v->elf)) < 0)
        return hcr__fail(&v->message, rc, "%s: out of memory indexing functions", src);
    if (v->vars.whole_sections && !p->said_whole_sections) {
        p->said_whole_sections = 1;
        hcr__log(&p->log, HCR_LOG_WARN,
                 "%s: has no symbol table (stripped?): state is carried as whole sections, "
                 "and only when their sizes match; build without -s to match per variable",
                 src);
    }
    if (v->code_hi && (rc = hcr__address_map_add(v->code_lo, v->code_hi, p->ctx)) < 0)
        hcr__fail(&v->message, rc, "%s: out of memory recording where its code lies", src);
    return rc;
}

char *hcr__version_copy_path(const struct hcr__plugin *p, unsigned number)
{
    const char *base = hcr__base_name(p->path);
    size_t len = strlen(p->copy_dir) + strlen(base) + 32;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/v%u-%s", p->copy_dir, number, base);
    return path;
}

struct hcr__version *hcr__version_prepare(struct hcr__plugin *p, unsigned number)
{
    struct hcr__version *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->number = number;
    v->status = HCR__VERSION_READY;
    v->snapshot.source_fd = -1;
    v->snapshot.copy_fd = -1;
    v->copy_path = hcr__version_copy_path(p, number);
    if (!v->copy_path) {
        free(v);
        return NULL;
    }

    int rc = hcr__snapshot_copy(p->path, v->copy_path, &p->spare, &v->snapshot, &v->message);
    if (rc == 0)
        rc = load(p, v);
    if (rc < 0) {
        v->error = rc;
        v->status = HCR__VERSION_FAILED;
        if (v->handle) {
            if (v->code_hi)
                hcr__address_map_remove(v->code_lo, v->code_hi);
            dlclose(v->handle);
            v->handle = NULL;
        }
        hcr__pointer_index_free(&v->pointers);
        hcr__state_free(&v->vars);
        hcr__types_free(v->types);
        v->types = NULL;
        hcr__snapshot_release(&v->snapshot);
        unlink(v->copy_path);
    }
    return v;
}

void hcr__version_destroy(struct hcr__version *v)
{
    if (!v)
        return;
    if (v->handle) {
        if (v->code_hi)
            hcr__address_map_remove(v->code_lo, v->code_hi);
        dlclose(v->handle);
    }
    hcr__pointer_index_free(&v->pointers);
    hcr__state_free(&v->vars);
    hcr__types_free(v->types); /* before the bytes it reads */
    hcr__snapshot_release(&v->snapshot);
    if (v->copy_path)
        unlink(v->copy_path);
    free(v->copy_path);
    free(v);
}
