/*
 * process_internal.h: the process symbol index's own structures, shared by
 * the index (symbols.c) and what it learns from debug information about
 * its file groups (process_units.c). Nothing else looks inside.
 */
#ifndef HCR_OBJECT_PROCESS_INTERNAL_H
#define HCR_OBJECT_PROCESS_INTERNAL_H

#include "elf/elf_file.h"
#include "object/dwarf_statics.h"
#include "object/symbols.h"

#include <elfutils/libdw.h>
#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

/* A run of locals after one STT_FILE symbol. */
struct file_group {
    uint32_t image;
    const char *name;      /* base name from STT_FILE */
    uintptr_t function;    /* file address of one function of the group, or 0 */
    uintptr_t variable;    /* file address of one variable of the group, or 0 */
    unsigned ordinal;      /* earlier groups of the same image and name */
    char *cu_path;         /* compilation unit path, read lazily */
    int cu_path_read;
    size_t first_sym, end_sym; /* its locals in the index's symbols */
    struct hcr__local_static *statics; /* function-local statics, read lazily */
    size_t nstatics;
    int statics_read;
};

struct image_file {
    void *map;
    size_t size;
    struct hcr__elf elf;
    int valid;
    Elf *dw_elf;     /* the debug information, opened on first use */
    Dwarf *dw;
    int dw_tried;
};

struct hcr__process {
    struct hcr__proc_image *images;
    struct image_file *files;
    size_t nimages;
    struct hcr__proc_sym *syms;
    size_t nsyms, syms_cap;
    uint32_t *slots; /* index+1 into syms, 0 = empty */
    size_t nslots;
    struct file_group *groups; /* group id g is groups[g - 1] */
    size_t ngroups, groups_cap;
    unsigned long long adds, subs; /* dl_iterate_phdr counters at build time */
};

#endif
