/*
 * types.h: the C type of a variable, read from a version's debug
 * information as a small tree that state migration compares between two
 * versions (src/migrate/). Typedefs and qualifiers are stripped; what
 * migration does not look inside (functions, unknown tags, anything the
 * reader found inconsistent) is OPAQUE, compared by name and size only.
 *
 * A reader serves one version: it keeps that version's libdw handle open
 * over the image bytes, which must outlive it, and caches every type it
 * built by DIE, so types shared by many variables are read once and two
 * variables of one type get the same tree. Pointers do not carry their
 * target, only whether it is a function: migration copies or rebases a
 * pointer by where its value points, never by what it is declared to
 * point at, and so a recursive type (struct node *next) is never walked.
 *
 * Not thread-safe: one thread at a time (the version's owner).
 */
#ifndef HCR_DWARF_TYPES_H
#define HCR_DWARF_TYPES_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

enum hcr__type_kind {
    HCR__TYPE_OPAQUE,           /* not looked inside: compared by name and size */
    HCR__TYPE_SIGNED,           /* signed integer (and signed char) */
    HCR__TYPE_UNSIGNED,         /* unsigned integer (and char, where unsigned) */
    HCR__TYPE_BOOL,
    HCR__TYPE_FLOAT,            /* float, double, long double */
    HCR__TYPE_ENUM,
    HCR__TYPE_POINTER,          /* to data (or void) */
    HCR__TYPE_FUNCTION_POINTER,
    HCR__TYPE_STRUCT,
    HCR__TYPE_UNION,
    HCR__TYPE_ARRAY,
};

struct hcr__type;

struct hcr__type_member {
    const char *name;           /* NULL: an anonymous struct or union member */
    uint64_t offset;            /* bytes from the start of the record */
    unsigned bit_offset;        /* bit-fields: first bit, counted from the least
                                   significant bit of the byte at `offset` */
    unsigned bit_size;          /* 0: not a bit-field */
    const struct hcr__type *type;
};

struct hcr__type_enumerator {
    const char *name;
    int64_t value;
};

struct hcr__type {
    enum hcr__type_kind kind;
    uint64_t size;              /* bytes */
    const char *name;           /* tag or base type name; NULL when anonymous */
    int has_pointers;           /* a pointer lies in it, outside any union */
    union {
        struct {
            const struct hcr__type_member *members;
            size_t count;
        } record;               /* STRUCT, UNION */
        struct {
            const struct hcr__type *element; /* an ARRAY again for the next dimension */
            uint64_t count;     /* 0 for a flexible array member */
        } array;
        struct {
            const struct hcr__type_enumerator *values;
            size_t count;
            int is_signed;
        } enumeration;
    } u;
};

struct hcr__types;

/* A reader over the ELF image `image` (`size` bytes, validated by the ELF
   reader, kept mapped by the caller until hcr__types_free). 0 and *types,
   or *types NULL and 0 when the image has no debug information, or
   HCR_ENOMEM. */
int hcr__types_open(const void *image, size_t size, struct hcr__types **types);
void hcr__types_free(struct hcr__types *types);

/* A reader over a libdw handle the caller owns and keeps open until
   hcr__types_free (object mode: a relocatable object's debug information
   as libdwfl relocated it, or the running program's). 0 and *types
   (NULL when dw is NULL), or HCR_ENOMEM. */
int hcr__types_open_dwarf(Dwarf *dw, struct hcr__types **types);

/* The reader's libdw handle, for walks over the same debug information
   (statics.h). */
Dwarf *hcr__types_dwarf(struct hcr__types *types);

/* The type of the variable whose DIE is `variable` (its DW_AT_type, also
   through DW_AT_specification), or NULL when it has none or out of
   memory. Bad input gives OPAQUE nodes, never a loop or a crash. */
const struct hcr__type *hcr__types_of_variable(struct hcr__types *types, Dwarf_Die *variable);

/* A type by its C name: "struct particle", "union u", "enum e", a typedef
   name or a base type name ("int"), defined at file scope of some
   compilation unit (the first complete definition found). NULL when none. */
const struct hcr__type *hcr__types_find(struct hcr__types *types, const char *c_name);

/* Whether the reader ran out of memory building some type, which it then
   made OPAQUE: the trees read from it may be wrong, and callers that act
   on them fail with HCR_ENOMEM. */
int hcr__types_out_of_memory(const struct hcr__types *types);

/* How many distinct types the reader built (for the benchmark). */
size_t hcr__types_count(const struct hcr__types *types);

/* Whether two trees describe the same layout: same kinds, sizes, member
   names, offsets and types, enumerators, array counts. Pointers of the
   same kind are the same whatever they point at. */
int hcr__type_same(const struct hcr__type *a, const struct hcr__type *b);

/* Whether a value of type t holds a pointer anywhere (a pointer-free value
   is copied as bytes). */
int hcr__type_has_pointers(const struct hcr__type *t);

/* A copy of the tree t that owns its memory and outlives the reader it
   came from (object mode keeps the type of a migrated variable for the
   next reload to compare with). NULL when out of memory. */
struct hcr__type *hcr__type_clone(const struct hcr__type *t);
void hcr__type_clone_free(struct hcr__type *t);

/* ---- parts of a type (type_paths.c) ---- */

#define HCR__TYPE_PATH_MAX 48

/* One step down a type: a member by name (an anonymous one by its rank
   among the anonymous members), or an array element by index. */
struct hcr__type_path_step {
    const char *name;
    size_t anonymous;
    uint64_t index;
    int is_index;
};

struct hcr__type_path {
    struct hcr__type_path_step steps[HCR__TYPE_PATH_MAX];
    size_t n;
};

/* The outermost part of t that is exactly bytes [offset, offset + size)
   of it: t itself, a member at any depth, an array element; the steps to
   it are appended to *path. NULL when no one part is those bytes (they
   span two fields, lie inside a union or a bit-field, or in part of a
   scalar). */
const struct hcr__type *hcr__type_part_at(const struct hcr__type *t, uint64_t offset,
                                          uint64_t size, struct hcr__type_path *path);

/* The part of t that `path` leads to (members by name, elements by index)
   and *offset, its place in t; NULL when t has no such part. */
const struct hcr__type *hcr__type_part_by_path(const struct hcr__type *t,
                                               const struct hcr__type_path *path,
                                               uint64_t *offset);

/* `root` and the path, as C writes it ("s.in.x", "arr[2].y"), into buf. */
const char *hcr__type_path_text(const char *root, const struct hcr__type_path *path, char *buf,
                                size_t len);

/* "struct particle", "int", "int[4]" into buf, for messages. */
const char *hcr__type_label(const struct hcr__type *t, char *buf, size_t len);

#endif
