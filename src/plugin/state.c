/*
 * state.c: a version's writable variables, and carrying their values into
 * the next version. Variables are matched by key (source file and name for
 * file and function-local statics, name alone for globals) and size, never
 * by position, so adding, removing or reordering variables moves no value
 * into the wrong place. The rules are in hcr.h, section 4.
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
                   size_t size, const unsigned char *initial, unsigned flags)
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
                                            flags};
    b->names_used += need;
    return 0;
}

static int compare_vars(const void *a, const void *b)
{
    const struct hcr__var *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
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
        const struct hcr__static_name *source =
            bind == STB_LOCAL && strchr(name, '.') ? hcr__static_names_find(names, sym->st_value)
                                                   : NULL;
        if (source)
            name = source->key; /* "function/variable" */
        int rc = add_var(b, sym_file, name, base + sym->st_value, sym->st_size,
                         initial_bytes(elf, shndx, sym->st_value), flags);
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
                         initial_bytes(elf, i, elf->shdrs[i].sh_addr), flags);
        if (rc)
            return rc;
    }
    return 0;
}

int hcr__state_needs_names(const struct hcr__elf *elf)
{
    uintptr_t relro_lo, relro_hi;
    relro_range(elf, &relro_lo, &relro_hi);
    const char *file = NULL;
    for (size_t i = 1; i < elf->nsyms; i++) {
        const Elf64_Sym *sym = &elf->syms[i];
        int type = ELF64_ST_TYPE(sym->st_info);
        if (type == STT_FILE)
            file = hcr__elf_sym_name(elf, sym);
        if (type != STT_OBJECT || ELF64_ST_BIND(sym->st_info) != STB_LOCAL)
            continue;
        const char *name = hcr__elf_sym_name(elf, sym);
        /* The C runtime's own statics (crtstuff.c's completed.0) are no
           guest state and need no names. */
        if (strchr(name, '.') && !is_runtime_symbol(file, name) &&
            is_state_section(elf, hcr__elf_sym_shndx(elf, i), relro_lo, relro_hi))
            return 1;
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

static const struct hcr__var *find_var(const struct hcr__state_table *table,
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

/* "file.c:name" or "name", for messages. */
static const char *var_label(const struct hcr__var *v, char *buf, size_t len)
{
    size_t file_len = strlen(v->key);
    if (file_len < v->key_len)
        snprintf(buf, len, "%s:%s", v->key, v->key + file_len + 1);
    else
        snprintf(buf, len, "%s", v->key);
    return buf;
}

static int same_initial(const struct hcr__var *a, const struct hcr__var *b)
{
    if (a->initial && b->initial)
        return memcmp(a->initial, b->initial, a->size) == 0;
    const unsigned char *bytes = a->initial ? a->initial : b->initial;
    if (!bytes)
        return 1;
    for (size_t i = 0; i < a->size; i++)
        if (bytes[i])
            return 0;
    return 1;
}

int hcr__state_transfer(const struct hcr__state_table *from, const struct hcr__state_table *to,
                        enum hcr_carry carry, const struct hcr__log *log,
                        const char *plugin_name, struct hcr__message *msg)
{
    char label[300];
    if (carry == HCR_CARRY_NONE)
        return 0; /* every variable starts from its initial value, HCR_STATE too */
    /* First pass: refuse before writing anything. */
    for (size_t i = 0; i < to->count; i++) {
        const struct hcr__var *t = &to->vars[i];
        const struct hcr__var *f = find_var(from, t);
        if (f && (t->flags & HCR__VAR_PINNED) && f->size != t->size)
            return hcr__fail(msg, HCR_ESTATE,
                             "%s: HCR_STATE variable %s changed size from %zu to %zu bytes; "
                             "keeping the previous version (rename the variable to start it "
                             "afresh)",
                             plugin_name, var_label(t, label, sizeof label), f->size, t->size);
    }
    for (size_t i = 0; i < to->count; i++) {
        const struct hcr__var *t = &to->vars[i];
        const struct hcr__var *f = find_var(from, t);
        if (!f)
            continue; /* new: keeps its initialiser */
        if ((t->flags | f->flags) & HCR__VAR_AMBIGUOUS) {
            if (!i || compare_vars(&to->vars[i - 1], t) != 0)
                hcr__log(log, HCR_LOG_WARN,
                         "%s: %s is defined in two files of the same name: not carried over "
                         "(rename one of them)",
                         plugin_name, var_label(t, label, sizeof label));
            continue;
        }
        if (f->size != t->size) {
            hcr__log(log, HCR_LOG_WARN, "%s: %s changed size from %zu to %zu bytes: re-initialised",
                     plugin_name, var_label(t, label, sizeof label), f->size, t->size);
            continue;
        }
        if (!(t->flags & HCR__VAR_PINNED)) {
            if (carry == HCR_CARRY_UNINITIALISED && t->initial)
                continue; /* it has an initialiser: it starts from it */
            if (!same_initial(f, t)) {
                hcr__log(log, HCR_LOG_INFO, "%s: %s has a new initialiser: takes the new value",
                         plugin_name, var_label(t, label, sizeof label));
                continue;
            }
            /* Never written since loading: the new version's own initial
               value is the same value, rebased into the new image. */
            if (memcmp((const void *)f->address, f->pristine, f->size) == 0)
                continue;
        }
        memcpy((void *)t->address, (const void *)f->address, t->size);
    }
    return 0;
}
