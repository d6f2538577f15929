/*
 * output_match.c: which of several compilation-database entries for one
 * source built the running program (units.h: hcr__output_was_linked). A
 * source is listed several times when several targets compile it (a
 * library and its tests, a program and a shared library, each with its
 * own -D or flags) or when the databases of several builds are merged
 * (debug and release trees). The entry to recompile with is the one whose
 * object the running image was linked from: its command gives the reload
 * the definitions and flags of the code it replaces.
 *
 * Nothing in a linked image names the objects it came from, so the object
 * an entry writes is compared with the image's compilation unit for that
 * source, through the debug information of both:
 *  - DW_AT_comp_dir tells build trees apart, DW_AT_producer the flags gcc
 *    records (-O, -g, -f..., -m..., -std), and the language the rest;
 *  - gcc records no -D, so targets that differ only in their definitions
 *    have one producer. The definitions show in what the unit defines: the
 *    functions with code and the size of each, the file-scope variables
 *    and the size of each. Linking changes none of these (DW_AT_high_pc is
 *    a length, and x86-64 link-time relaxations keep instruction lengths),
 *    so the object the image was linked from agrees on every one.
 * Entries whose definitions change no size (a constant swapped for one of
 * the same encoding, a string) cannot be told apart, and the first of them
 * is taken. An object rebuilt since the program was linked may not agree:
 * then no entry does, and the reader takes the first and says so.
 */
#include "live/argv.h"
#include "live/units.h"

#include "object/dwarf_statics.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What one compilation unit is, as far as telling builds apart goes. */
struct unit_print {
    char *producer, *comp_dir; /* NULL when absent */
    int language;
    struct hcr__argv defined;  /* "f NAME SIZE" and "v NAME SIZE", sorted */
};

static void print_free(struct unit_print *p)
{
    free(p->producer);
    free(p->comp_dir);
    hcr__argv_free(p->defined.v);
    memset(p, 0, sizeof *p);
}

/* A copy of the string attribute `name` of `die` into *out, NULL when it
   has none. 0, or -1 when out of memory. */
static int copy_string_attr(Dwarf_Die *die, unsigned name, char **out)
{
    Dwarf_Attribute attr;
    const char *s = dwarf_formstring(dwarf_attr(die, name, &attr));
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

/* The bytes of code of a function, over all its ranges (gcc moves the
   cold part of a function elsewhere). */
static uint64_t code_size(Dwarf_Die *die)
{
    Dwarf_Addr base, start, end;
    uint64_t size = 0;
    for (ptrdiff_t at = 0; (at = dwarf_ranges(die, at, &base, &start, &end)) > 0;)
        size += end - start;
    return size;
}

/* The size of a variable's type; 0 when it has none that says. */
static uint64_t variable_size(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    Dwarf_Die type;
    Dwarf_Word size;
    if (!dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &attr), &type) ||
        dwarf_aggregate_size(&type, &size) != 0)
        return 0;
    return size;
}

/* The line for one top-level DIE of a unit ("f main 42"), or NULL when
   it defines nothing (a declaration, a type). malloc'ed. */
static char *defined_line(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    char *line = NULL;
    int tag = dwarf_tag(die);
    if (tag == DW_TAG_subprogram && (dwarf_hasattr(die, DW_AT_low_pc) ||
                                     dwarf_hasattr(die, DW_AT_ranges))) {
        if (asprintf(&line, "f %s %llu", name ? name : "?",
                     (unsigned long long)code_size(die)) < 0)
            line = NULL;
    } else if (tag == DW_TAG_variable && dwarf_hasattr(die, DW_AT_location)) {
        if (asprintf(&line, "v %s %llu", name ? name : "?",
                     (unsigned long long)variable_size(die)) < 0)
            line = NULL;
    }
    return line;
}

static int compare_words(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills *p from compilation unit `cu`. 0, or -1 when out of memory (*p
   then holds nothing). */
static int print_unit(Dwarf_Die *cu, struct unit_print *p)
{
    memset(p, 0, sizeof *p);
    int failed = copy_string_attr(cu, DW_AT_producer, &p->producer) < 0;
    failed |= copy_string_attr(cu, DW_AT_comp_dir, &p->comp_dir) < 0;
    p->language = dwarf_srclang(cu);
    Dwarf_Die die;
    int more = dwarf_child(cu, &die) == 0;
    while (more) {
        char *line = defined_line(&die);
        if (line)
            hcr__argv_push(&p->defined, line);
        free(line);
        more = dwarf_siblingof(&die, &die) == 0;
    }
    if (failed || p->defined.failed) {
        print_free(p);
        return -1;
    }
    if (p->defined.n)
        qsort(p->defined.v, p->defined.n, sizeof *p->defined.v, compare_words);
    return 0;
}

static int same_string(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

static int same_print(const struct unit_print *a, const struct unit_print *b)
{
    if (!same_string(a->producer, b->producer) || !same_string(a->comp_dir, b->comp_dir) ||
        a->language != b->language || a->defined.n != b->defined.n)
        return 0;
    for (size_t i = 0; i < a->defined.n; i++)
        if (strcmp(a->defined.v[i], b->defined.v[i]))
            return 0;
    return 1;
}

/* The print of the compilation unit at DIE offset `offset` of the linked
   image `path`. 0, or -1 when it cannot be read. */
static int print_linked(const char *path, uint64_t offset, struct unit_print *p)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    Dwarf *dw = elf ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
    Dwarf_Die cu;
    int rc = -1;
    if (dw && dwarf_offdie(dw, offset, &cu) && dwarf_tag(&cu) == DW_TAG_compile_unit)
        rc = print_unit(&cu, p);
    if (dw)
        dwarf_end(dw);
    if (elf)
        elf_end(elf);
    close(fd);
    return rc;
}

/* The print of the compilation unit of `source` in the relocatable
   object `path`, read through libdwfl, which applies a relocatable file's relocations to
   its debug sections (its strings and ranges are relocations until then).
   0, or -1 when it has none or cannot be read. */
static int print_object(const char *path, const char *source, struct unit_print *p)
{
    static const Dwfl_Callbacks callbacks = {
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .section_address = dwfl_offline_section_address,
    };
    Dwfl *dwfl = dwfl_begin(&callbacks);
    if (!dwfl)
        return -1;
    Dwfl_Module *mod = dwfl_report_offline(dwfl, path, path, -1);
    dwfl_report_end(dwfl, NULL, NULL);
    Dwarf_Addr bias;
    GElf_Ehdr header_mem;
    Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
    GElf_Ehdr *eh = elf ? gelf_getehdr(elf, &header_mem) : NULL;
    /* An object, not a program or library that holds the same unit. */
    Dwarf *dw = eh && eh->e_type == ET_REL ? dwfl_module_getdwarf(mod, &bias) : NULL;
    Dwarf_Off at = 0, next;
    size_t header;
    int found = 0, rc = -1;
    while (dw && !found && dwarf_nextcu(dw, at, &next, &header, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu;
        char *cu_source = dwarf_offdie(dw, at + header, &cu) ? hcr__dwarf_cu_path(&cu) : NULL;
        found = cu_source && !strcmp(cu_source, source);
        if (found)
            rc = print_unit(&cu, p);
        free(cu_source);
        at = next;
    }
    dwfl_end(dwfl);
    return rc;
}

int hcr__output_was_linked(const char *source, const char *output, void *images)
{
    const struct hcr__live_images *im = images;
    struct stat st;
    struct unit_print object;
    if (!im || !source || !output || stat(output, &st) != 0 || !S_ISREG(st.st_mode) ||
        print_object(output, source, &object) < 0)
        return 0;
    int same = 0;
    for (size_t i = 0; i < im->n && !same; i++) {
        const struct hcr__live_units *units = &im->v[i].units;
        for (size_t u = 0; u < units->n && !same; u++) {
            struct unit_print linked;
            if (!units->v[u].from_debug_info || !units->v[u].source ||
                strcmp(units->v[u].source, source) ||
                print_linked(im->v[i].path, units->v[u].cu_offset, &linked) < 0)
                continue;
            same = same_print(&object, &linked);
            print_free(&linked);
        }
    }
    print_free(&object);
    return same;
}
