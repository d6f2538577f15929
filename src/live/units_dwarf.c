/*
 * units_dwarf.c: translation units rebuilt from an executable's debug
 * information, for programs without a compilation database. Each C
 * compilation unit gives its source (DW_AT_comp_dir joined with DW_AT_name)
 * and a command rebuilt from DW_AT_producer: gcc records its language
 * standard and its code-generation flags there, but neither -D nor -I;
 * the directories of the headers in the unit's line table stand in for
 * the -I options. clang records no flags at all. So the command is a best
 * effort. This reader logs nothing: it also runs when a database exists
 * (to tell which of its units the program was built from), so its caller
 * says once per program, when it falls back on these commands, what they
 * cannot know and how to get a database.
 */
#include "live/units.h"
#include "live/argv.h"

#include "object/dwarf_statics.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DW_LANG_C17
#define DW_LANG_C17 0x002c /* DWARF 6 draft; gcc 14 and later */
#endif

static int contains(const struct hcr__argv *w, const char *word)
{
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->v[i], word))
            return 1;
    return 0;
}

static int is_c(int lang)
{
    return lang == DW_LANG_C89 || lang == DW_LANG_C || lang == DW_LANG_C99 ||
           lang == DW_LANG_C11 || lang == DW_LANG_C17;
}

/* -std=... from gcc's language word ("C17" -> "-std=gnu17"), or NULL. */
static char *std_from_gcc_language(const char *word, size_t len)
{
    if (len < 2 || word[0] != 'C')
        return NULL;
    char *std;
    if (asprintf(&std, "-std=gnu%.*s", (int)(len - 1), word + 1) < 0)
        return NULL;
    for (char *p = std + 8; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a'); /* C2X -> gnu2x */
    return std;
}

/* The compiler and flags of a gcc producer string "GNU C17 12.2.0 -flags...".
   The recorded -std wins over the language word. */
static void gcc_command(struct hcr__argv *w, const char *producer)
{
    const char *lang = producer + strlen("GNU ");
    size_t lang_len = strcspn(lang, " ");
    hcr__argv_push(w, "gcc");
    char *std = strstr(producer, " -std=") ? NULL : std_from_gcc_language(lang, lang_len);
    if (std)
        hcr__argv_push(w, std);
    free(std);
    const char *p = lang + lang_len;
    while (*p) {
        p += strspn(p, " ");
        size_t len = strcspn(p, " ");
        if (len && p[0] == '-')
            hcr__argv_push_n(w, p, len);
        p += len;
    }
}

/* The command's start for a unit of language `lang` made by `producer`
   (may be NULL): compiler, -std, recorded flags. */
static void producer_command(struct hcr__argv *w, const char *producer, int lang)
{
    if (producer && !strncmp(producer, "GNU C", 5)) {
        gcc_command(w, producer);
        return;
    }
    int clang = producer && strstr(producer, "clang version");
    hcr__argv_push(w, clang ? "clang" : "cc");
    /* clang records no flags; its default (gnu17) covers C11 units */
    if (lang == DW_LANG_C99)
        hcr__argv_push(w, "-std=gnu99");
    else if (lang == DW_LANG_C89)
        hcr__argv_push(w, "-std=gnu89");
}

static int is_system_dir(const char *dir)
{
    static const char *const system[] = {"/usr/include", "/usr/local/include", "/usr/lib/gcc",
                                         "/usr/lib/llvm", "/usr/lib/clang", "/usr/lib64/gcc",
                                         "/usr/lib64/clang"};
    for (size_t i = 0; i < HCR__ARRAY_SIZE(system); i++) {
        size_t len = strlen(system[i]);
        if (!strncmp(dir, system[i], len) && (dir[len] == '\0' || dir[len] == '/' ||
                                              dir[len] == '-'))
            return 1;
    }
    return 0;
}

/* The directory holding `file` (relative to `comp_dir`), resolved, when
   the file exists. malloc'ed, or NULL. */
static char *existing_dir_of(const char *file, const char *comp_dir)
{
    char *joined;
    if (file[0] == '/' || !comp_dir)
        joined = strdup(file);
    else if (asprintf(&joined, "%s/%s", comp_dir, file) < 0)
        joined = NULL;
    char *real = joined ? realpath(joined, NULL) : NULL;
    free(joined);
    char *slash = real ? strrchr(real, '/') : NULL;
    if (slash && slash != real)
        *slash = '\0';
    return real;
}

/* -I for the directory of each header in the line table of `cu` outside
   the system directories and the source's own directory, once each. */
static void include_dirs(struct hcr__argv *w, Dwarf_Die *cu, const char *comp_dir,
                         const char *source_dir)
{
    Dwarf_Files *files;
    size_t nfiles;
    if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
        return;
    for (size_t i = 0; i < nfiles && !w->failed; i++) {
        const char *name = dwarf_filesrc(files, i, NULL, NULL);
        char *dir = name ? existing_dir_of(name, comp_dir) : NULL;
        char *option = NULL;
        if (dir && strcmp(dir, source_dir) && !is_system_dir(dir) &&
            asprintf(&option, "-I%s", dir) >= 0 && !contains(w, option))
            hcr__argv_push(w, option);
        free(option);
        free(dir);
    }
}

/* Fills *u from compilation unit `cu`. 0; 1 to skip it (not C, or its
   source is not here); HCR_ENOMEM. */
static int unit_from_cu(Dwarf_Die *cu, struct hcr__live_unit *u)
{
    memset(u, 0, sizeof *u);
    struct stat st;
    int lang = dwarf_srclang(cu);
    char *source = is_c(lang) ? hcr__dwarf_cu_path(cu) : NULL;
    if (!source || source[0] != '/' || stat(source, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(source);
        return 1;
    }
    Dwarf_Attribute attr;
    const char *comp_dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
    const char *producer = dwarf_formstring(dwarf_attr(cu, DW_AT_producer, &attr));
    char *source_dir = strndup(source, (size_t)(strrchr(source, '/') - source));
    char *real_dir = comp_dir ? realpath(comp_dir, NULL) : NULL;
    u->source = source;
    u->directory = real_dir ? real_dir : strdup(comp_dir ? comp_dir : source_dir ? source_dir : "/");
    struct hcr__argv w = {0};
    producer_command(&w, producer, lang);
    if (source_dir)
        include_dirs(&w, cu, comp_dir, source_dir);
    hcr__argv_push(&w, "-c");
    hcr__argv_push(&w, source);
    free(source_dir);
    u->argv = w.v;
    u->argc = w.n;
    u->from_debug_info = 1;
    u->cu_offset = dwarf_dieoffset(cu);
    return w.failed || !u->directory || !source_dir ? HCR_ENOMEM : 0;
}

/* Adds a unit per usable compilation unit of `dw` to *out. 0 or HCR_ENOMEM;
   *seen counts the units read. */
static int collect_units(Dwarf *dw, struct hcr__live_units *out, size_t *seen)
{
    size_t cap = 0, header_size;
    Dwarf_Off offset = 0, next;
    *seen = 0;
    while (dwarf_nextcu(dw, offset, &next, &header_size, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu;
        Dwarf_Off here = offset;
        offset = next;
        if (!dwarf_offdie(dw, here + header_size, &cu))
            continue;
        ++*seen;
        struct hcr__live_unit *grown = hcr__grow(out->v, out->n, &cap, sizeof *grown, 16);
        if (!grown)
            return HCR_ENOMEM;
        out->v = grown;
        struct hcr__live_unit *u = &out->v[out->n];
        int rc = unit_from_cu(&cu, u);
        if (rc == 0 && !hcr__live_units_have(out, u->source)) {
            out->n++;
            continue;
        }
        hcr__live_unit_clear(u);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Opens the ELF file at `path` and its DWARF. 0, or a negative code with
   msg naming the file. */
static int open_dwarf(const char *path, int *fd, Elf **elf, Dwarf **dw, struct hcr__message *msg)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return hcr__fail(msg, -errno, "cannot open %s to read its debug information: %s", path,
                         strerror(errno));
    elf_version(EV_CURRENT);
    *elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
    *dw = *elf ? dwarf_begin_elf(*elf, DWARF_C_READ, NULL) : NULL;
    if (*dw)
        return 0;
    int not_elf = !*elf || elf_kind(*elf) != ELF_K_ELF;
    if (*elf)
        elf_end(*elf);
    close(*fd);
    if (not_elf)
        return hcr__fail(msg, HCR_ENOEXEC, "%s is not an ELF file", path);
    return hcr__fail(msg, HCR_ENOENT, "%s has no debug information, so hcr cannot tell its "
                     "sources and compile commands: build it with -g, or give hcr a "
                     "compile_commands.json", path);
}

int hcr__units_from_debug_info(const char *elf_path, struct hcr__live_units *out,
                               struct hcr__message *msg)
{
    memset(out, 0, sizeof *out);
    int fd = -1;
    Elf *elf = NULL;
    Dwarf *dw = NULL;
    int rc = open_dwarf(elf_path, &fd, &elf, &dw, msg);
    if (rc < 0)
        return rc;
    size_t seen;
    rc = collect_units(dw, out, &seen);
    dwarf_end(dw);
    elf_end(elf);
    close(fd);
    if (rc < 0) {
        hcr__live_units_free(out);
        return hcr__fail(msg, rc, "out of memory reading the debug information of %s", elf_path);
    }
    if (out->n == 0) {
        hcr__live_units_free(out);
        return hcr__fail(msg, HCR_ENOENT, "none of the %zu compilation units in the debug "
                         "information of %s is a C source that exists on this machine", seen,
                         elf_path);
    }
    return 0;
}
