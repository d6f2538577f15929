/*
 * state.c: the table of a version's writable variables, each with its key
 * (source file and name for file and function-local statics, name alone
 * for globals), its type where the debug information gives one, and its
 * bytes as loaded. Carrying values from one table to the next is
 * carry.c's: by key, never by position, so adding, removing or reordering
 * variables moves no value into the wrong place (hcr.h, section 4).
 */
#include "plugin_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sections whose contents belong to the loader or runtime, not the guest. */
static int is_runtime_section(const char *name)
{
    static const char *const names[] = {".got", ".got.plt", ".dynamic", ".init_array",
                                        ".fini_array", ".data.rel.ro", ".tm_clone_table"};
    for (size_t i = 0; i < HCR__ARRAY_SIZE(names); i++)
        if (strncmp(name, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

/* Compiler-runtime variables every shared object carries. */
static int is_runtime_symbol(const char *file, const char *name)
{
    return (file && strcmp(file, "crtstuff.c") == 0) || strcmp(name, "__dso_handle") == 0 ||
           strcmp(name, "__TMC_END__") == 0 || strncmp(name, "_GLOBAL_", 8) == 0;
}

/* The address range the build makes read-only after relocation
   (PT_GNU_RELRO): runtime data, never state, also where the copy was loaded
   without the protection (HCR__PT_RELRO_LIFTED). */
static void relro_range(const struct hcr__elf *elf, uintptr_t *lo, uintptr_t *hi)
{
    *lo = *hi = 0;
    for (size_t i = 0; i < elf->phnum; i++)
        if (elf->phdrs[i].p_type == PT_GNU_RELRO || elf->phdrs[i].p_type == HCR__PT_RELRO_LIFTED) {
            *lo = elf->phdrs[i].p_vaddr;
            *hi = elf->phdrs[i].p_vaddr + elf->phdrs[i].p_memsz;
        }
}

/* A section that holds guest variables: allocated, writable, not TLS, not
   the runtime's, not made read-only after relocation. */
static int is_state_section(const struct hcr__elf *elf, size_t shndx, uintptr_t relro_lo,
                            uintptr_t relro_hi)
{
    if (shndx == 0 || shndx >= elf->shnum)
        return 0;
    const Elf64_Shdr *sh = &elf->shdrs[shndx];
    if ((sh->sh_flags & (SHF_ALLOC | SHF_WRITE)) != (SHF_ALLOC | SHF_WRITE) ||
        (sh->sh_flags & SHF_TLS) || sh->sh_size == 0)
        return 0;
    if (sh->sh_addr >= relro_lo && sh->sh_addr < relro_hi)
        return 0;
    return !is_runtime_section(hcr__elf_section_name(elf, shndx));
}

/* The initial bytes of [addr, addr+size) of section shndx in the file, or
   NULL for zero-filled (NOBITS) sections. Bounds were checked by the
   caller against the section. */
static const unsigned char *initial_bytes(const struct hcr__elf *elf, size_t shndx,
                                          uint64_t addr)
{
    const Elf64_Shdr *sh = &elf->shdrs[shndx];
    if (sh->sh_type == SHT_NOBITS)
        return NULL;
    return elf->data + sh->sh_offset + (addr - sh->sh_addr);
}

struct var_builder {
    struct hcr__var *vars;
    size_t count, capacity;
    char *names;
    size_t names_used, names_capacity;
};

static int add_var(struct var_builder *b, const char *file, const char *name, uintptr_t address,
                   size_t size, const unsigned char *initial, unsigned flags,
                   const struct hcr__type *type)
{
    size_t file_len = file ? strlen(file) + 1 : 0, name_len = strlen(name);
    size_t need = file_len + name_len + 1;
    struct hcr__var *vars = hcr__grow(b->vars, b->count, &b->capacity, sizeof *vars, 64);
    if (!vars)
        return HCR_ENOMEM;
    b->vars = vars;
    if (b->names_used + need > b->names_capacity) {
        size_t cap = b->names_capacity ? b->names_capacity * 2 : 4096;
        while (cap < b->names_used + need)
            cap *= 2;
        char *n = realloc(b->names, cap);
        if (!n)
            return HCR_ENOMEM;
        b->names = n;
        b->names_capacity = cap;
    }
    char *key = b->names + b->names_used;
    if (file)
        memcpy(key, file, file_len); /* includes the NUL that separates file and name */
    memcpy(key + file_len, name, name_len + 1);
    /* Keys point into `names`, which may still move: store offsets for now. */
    b->vars[b->count++] = (struct hcr__var){(const char *)(uintptr_t)b->names_used,
                                            file_len + name_len, address, size, initial, NULL,
                                            flags, type};
    b->names_used += need;
    return 0;
}

int hcr__state_compare(const struct hcr__var *x, const struct hcr__var *y)
{
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static int compare_vars(const void *a, const void *b)
{
    return hcr__state_compare(a, b);
}

/* Whether section `shndx` holds variables that always keep their value:
   HCR_STATE's section, or cr.h's own for CR_STATE, so that a guest built
   with cr.h itself rather than hcr's keeps those too. */
static int is_pinned_section(const struct hcr__elf *elf, size_t shndx)
{
    const char *name = hcr__elf_section_name(elf, shndx);
    return strcmp(name, HCR_STATE_SECTION) == 0 || strcmp(name, ".state") == 0;
}

static int collect_symbols(struct var_builder *b, const struct hcr__elf *elf,
                           const struct hcr__static_names *names, uintptr_t base)
{
    uintptr_t relro_lo, relro_hi;
    relro_range(elf, &relro_lo, &relro_hi);
    const char *file = NULL;
    for (size_t i = 1; i < elf->nsyms; i++) {
        const Elf64_Sym *sym = &elf->syms[i];
        int type = ELF64_ST_TYPE(sym->st_info), bind = ELF64_ST_BIND(sym->st_info);
        if (type == STT_FILE) {
            file = hcr__elf_sym_name(elf, sym);
            continue;
        }
        if (type != STT_OBJECT || sym->st_size == 0)
            continue;
        size_t shndx = hcr__elf_sym_shndx(elf, i);
        if (!is_state_section(elf, shndx, relro_lo, relro_hi))
            continue;
        const Elf64_Shdr *sh = &elf->shdrs[shndx];
        if (sym->st_value < sh->sh_addr || sym->st_size > sh->sh_size ||
            sym->st_value - sh->sh_addr > sh->sh_size - sym->st_size)
            continue; /* a symbol claiming bytes outside its section: not a variable */
        const char *name = hcr__elf_sym_name(elf, sym);
        const char *sym_file = bind == STB_LOCAL ? file : NULL;
        if (!name[0] || is_runtime_symbol(sym_file, name))
            continue;
        unsigned flags = is_pinned_section(elf, shndx) ? HCR__VAR_PINNED : 0;
        /* A function-local static (`count.1`): named by its function from
           the debug information, where there is any. The file part stays
           the symbol table's, so keys look alike with or without it. */
        const struct hcr__static_name *source = hcr__static_names_find(names, sym->st_value);
        if (source && source->key && bind == STB_LOCAL && strchr(name, '.'))
            name = source->key; /* "function/variable" */
        /* The type only when it agrees with the symbol: a migration plan
           must never write past what the symbol table says is there. */
        const struct hcr__type *known =
            source && source->type && source->type->size == sym->st_size ? source->type : NULL;
        int rc = add_var(b, sym_file, name, base + sym->st_value, sym->st_size,
                         initial_bytes(elf, shndx, sym->st_value), flags, known);
        if (rc)
            return rc;
    }
    return 0;
}

/* Without a symbol table: each writable section is one variable. */
static int collect_sections(struct var_builder *b, const struct hcr__elf *elf, uintptr_t base)
{
    uintptr_t relro_lo, relro_hi;
    relro_range(elf, &relro_lo, &relro_hi);
    for (size_t i = 1; i < elf->shnum; i++) {
        if (!is_state_section(elf, i, relro_lo, relro_hi))
            continue;
        const char *name = hcr__elf_section_name(elf, i);
        unsigned flags = HCR__VAR_WHOLE;
        if (is_pinned_section(elf, i))
            flags |= HCR__VAR_PINNED;
        int rc = add_var(b, NULL, name, base + elf->shdrs[i].sh_addr, elf->shdrs[i].sh_size,
                         initial_bytes(elf, i, elf->shdrs[i].sh_addr), flags, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

/* Two variables with one key (two files with the same base name, each with
   a static of that name) cannot be told apart: neither is carried. */
static void mark_ambiguous(struct hcr__var *vars, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (compare_vars(&vars[i - 1], &vars[i]) == 0)
            vars[i - 1].flags |= HCR__VAR_AMBIGUOUS, vars[i].flags |= HCR__VAR_AMBIGUOUS;
}

int hcr__state_build(struct hcr__state_table *table, const struct hcr__elf *elf,
                     const struct hcr__static_names *names, uintptr_t base,
                     struct hcr__message *msg)
{
    memset(table, 0, sizeof *table);
    struct var_builder b = {0};
    table->whole_sections = elf->syms == NULL;
    int rc = table->whole_sections ? collect_sections(&b, elf, base)
                                   : collect_symbols(&b, elf, names, base);
    size_t total = 0;
    for (size_t i = 0; rc == 0 && i < b.count; i++) {
        b.vars[i].key = b.names + (uintptr_t)b.vars[i].key;
        total += b.vars[i].size;
    }
    if (rc == 0 && total) {
        table->pristine = malloc(total);
        if (!table->pristine)
            rc = HCR_ENOMEM;
    }
    if (rc != 0) {
        free(b.vars);
        free(b.names);
        return hcr__fail(msg, rc, "%s: out of memory indexing variables", elf->name);
    }
    unsigned char *p = table->pristine;
    for (size_t i = 0; i < b.count; i++) {
        memcpy(p, (const void *)b.vars[i].address, b.vars[i].size);
        b.vars[i].pristine = p;
        p += b.vars[i].size;
    }
    if (b.count)
        qsort(b.vars, b.count, sizeof *b.vars, compare_vars);
    mark_ambiguous(b.vars, b.count);
    table->vars = b.vars;
    table->count = b.count;
    table->names = b.names;
    return 0;
}

void hcr__state_free(struct hcr__state_table *table)
{
    free(table->vars);
    free(table->names);
    free(table->pristine);
    memset(table, 0, sizeof *table);
}

const struct hcr__var *hcr__state_find(const struct hcr__state_table *table,
                                       const struct hcr__var *like)
{
    size_t lo = 0, hi = table->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = compare_vars(&table->vars[mid], like);
        if (c == 0)
            return &table->vars[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

