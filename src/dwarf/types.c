/*
 * types.c: the type reader (see types.h). Every attribute is input: sizes,
 * offsets, counts and references are checked before a node is trusted,
 * and whatever does not add up (a member outside its record, a bit-field
 * wider than its type, an array whose size overflows, a cycle of
 * typedefs, a record that contains itself) makes that node OPAQUE rather
 * than an error, so one bad type never costs the rest their migration.
 * Running out of memory does too, but is remembered
 * (hcr__types_out_of_memory): a type made OPAQUE for want of memory would
 * otherwise read as changed and reset a value that could have moved.
 * Depth is bounded: a crafted file must not exhaust the stack.
 */
#include "dwarf/types.h"

#include "internal.h"

#include <dwarf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPES_MAX_DEPTH 48    /* records and arrays nested in one another */
#define TYPES_MAX_HOPS 32     /* typedefs and qualifiers in a row */
#define TYPES_MAX_DIMENSIONS 8
#define TYPES_MAX_SIZE ((uint64_t)1 << 40) /* no variable is a terabyte */
#define TYPES_CHUNK 65536

struct chunk {
    struct chunk *next;
    size_t used, capacity;
    _Alignas(16) unsigned char bytes[];
};

/* A node under construction is `building`: meeting it again on the way
   down means the record contains itself, which no C type does. */
struct node {
    struct hcr__type type;
    int building;
};

struct slot {
    Dwarf_Off offset;
    struct node *node;
};

struct hcr__types {
    Elf *elf;                    /* NULL: dw is the caller's (hcr__types_open_dwarf) */
    Dwarf *dw;
    struct slot *slots;          /* open addressing by DIE offset; 0 is free */
    size_t slot_count, used;
    struct chunk *chunks;
    size_t built;
    int out_of_memory;           /* some node is OPAQUE for want of memory, not of sense */
};

/* What a type that cannot be read becomes where one is needed. */
static const struct hcr__type invalid_type = {.kind = HCR__TYPE_OPAQUE, .name = "?"};

static void *arena_alloc(struct hcr__types *t, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct chunk *c = t->chunks;
    if (!c || c->capacity - c->used < size) {
        size_t cap = size > TYPES_CHUNK ? size : TYPES_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c) {
            t->out_of_memory = 1;
            return NULL;
        }
        c->next = t->chunks;
        c->used = 0;
        c->capacity = cap;
        t->chunks = c;
    }
    void *p = c->bytes + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

static size_t slot_of(const struct hcr__types *t, Dwarf_Off offset)
{
    uint64_t h = (uint64_t)offset * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h >> 20) & (t->slot_count - 1);
    while (t->slots[i].offset && t->slots[i].offset != offset)
        i = (i + 1) & (t->slot_count - 1);
    return i;
}

static struct node *cache_find(const struct hcr__types *t, Dwarf_Off offset)
{
    if (!t->slot_count)
        return NULL;
    return t->slots[slot_of(t, offset)].node;
}

/* Offsets are never 0 for a type DIE (a unit header comes first). */
static int cache_put(struct hcr__types *t, Dwarf_Off offset, struct node *n)
{
    if (offset == 0)
        return -1;
    if ((t->used + 1) * 2 > t->slot_count) {
        size_t count = t->slot_count ? t->slot_count * 2 : 256;
        struct slot *old = t->slots;
        size_t old_count = t->slot_count;
        t->slots = calloc(count, sizeof *t->slots);
        if (!t->slots) {
            t->slots = old;
            t->out_of_memory = 1;
            return -1;
        }
        t->slot_count = count;
        for (size_t i = 0; i < old_count; i++)
            if (old[i].offset)
                t->slots[slot_of(t, old[i].offset)] = old[i];
        free(old);
    }
    size_t i = slot_of(t, offset);
    t->slots[i] = (struct slot){offset, n};
    t->used++;
    return 0;
}

int hcr__types_open(const void *image, size_t size, struct hcr__types **types)
{
    *types = NULL;
    elf_version(EV_CURRENT);
    /* From the caller's bytes: no second open, and no search for a
       separate debug file, which a snapshot never has. libelf only reads. */
    Elf *elf = elf_memory((char *)(uintptr_t)image, size);
    Dwarf *dw = elf ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
    if (!dw) {
        if (elf)
            elf_end(elf);
        return 0;
    }
    struct hcr__types *t = calloc(1, sizeof *t);
    if (!t) {
        dwarf_end(dw);
        elf_end(elf);
        return HCR_ENOMEM;
    }
    t->elf = elf;
    t->dw = dw;
    *types = t;
    return 0;
}

int hcr__types_open_dwarf(Dwarf *dw, struct hcr__types **types)
{
    *types = NULL;
    if (!dw)
        return 0;
    struct hcr__types *t = calloc(1, sizeof *t);
    if (!t)
        return HCR_ENOMEM;
    t->dw = dw;
    *types = t;
    return 0;
}

void hcr__types_free(struct hcr__types *t)
{
    if (!t)
        return;
    while (t->chunks) {
        struct chunk *next = t->chunks->next;
        free(t->chunks);
        t->chunks = next;
    }
    free(t->slots);
    if (t->elf) {
        dwarf_end(t->dw);
        elf_end(t->elf);
    }
    free(t);
}

Dwarf *hcr__types_dwarf(struct hcr__types *t)
{
    return t ? t->dw : NULL;
}

int hcr__types_out_of_memory(const struct hcr__types *t)
{
    return t && t->out_of_memory;
}

size_t hcr__types_count(const struct hcr__types *t)
{
    return t ? t->built : 0;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    return dwarf_formstring(dwarf_attr(die, DW_AT_name, &attr));
}

/* An unsigned constant attribute: 1 and *value, or 0 when absent or not a
   constant. */
static int udata(Dwarf_Die *die, unsigned name, uint64_t *value)
{
    Dwarf_Attribute attr;
    Dwarf_Word w;
    if (!dwarf_attr(die, name, &attr) || dwarf_formudata(&attr, &w) != 0)
        return 0;
    *value = w;
    return 1;
}

/* The DIE an attribute refers to, also through DW_AT_specification and
   DW_AT_abstract_origin. */
static int ref_die(Dwarf_Die *die, unsigned name, Dwarf_Die *out)
{
    Dwarf_Attribute attr;
    return dwarf_attr_integrate(die, name, &attr) && dwarf_formref_die(&attr, out) != NULL;
}

static int is_alias_tag(int tag)
{
    return tag == DW_TAG_typedef || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type ||
           tag == DW_TAG_restrict_type || tag == DW_TAG_atomic_type;
}

/* Follows typedefs and qualifiers from *die to the type they name. 1, or
   0 for void (a qualifier with no type) or a chain too long to be C. */
static int strip(Dwarf_Die *die)
{
    for (int hops = 0; is_alias_tag(dwarf_tag(die)); hops++) {
        Dwarf_Die next;
        if (hops >= TYPES_MAX_HOPS || !ref_die(die, DW_AT_type, &next))
            return 0;
        *die = next;
    }
    return 1;
}

static const struct hcr__type *read_type(struct hcr__types *t, Dwarf_Die *die, int depth);

static void fill_base(struct hcr__type *ty, Dwarf_Die *die)
{
    uint64_t encoding = 0, size = 0;
    udata(die, DW_AT_encoding, &encoding);
    udata(die, DW_AT_byte_size, &size);
    ty->size = size;
    int int_size = size == 1 || size == 2 || size == 4 || size == 8 || size == 16;
    switch (encoding) {
    case DW_ATE_signed:
    case DW_ATE_signed_char:
        ty->kind = int_size ? HCR__TYPE_SIGNED : HCR__TYPE_OPAQUE;
        break;
    case DW_ATE_unsigned:
    case DW_ATE_unsigned_char:
    case DW_ATE_UTF:
        ty->kind = int_size ? HCR__TYPE_UNSIGNED : HCR__TYPE_OPAQUE;
        break;
    case DW_ATE_boolean:
        ty->kind = size == 1 ? HCR__TYPE_BOOL : HCR__TYPE_OPAQUE;
        break;
    case DW_ATE_float:
        ty->kind = size == 4 || size == 8 || size == 16 ? HCR__TYPE_FLOAT : HCR__TYPE_OPAQUE;
        break;
    default:
        ty->kind = HCR__TYPE_OPAQUE; /* complex, decimal, fixed point */
    }
}

static void fill_pointer(struct hcr__type *ty, Dwarf_Die *die)
{
    uint64_t size = sizeof(void *);
    udata(die, DW_AT_byte_size, &size);
    ty->size = size;
    if (size != sizeof(void *)) {
        ty->kind = HCR__TYPE_OPAQUE;
        return;
    }
    Dwarf_Die target;
    ty->kind = ref_die(die, DW_AT_type, &target) && strip(&target) &&
                       dwarf_tag(&target) == DW_TAG_subroutine_type
                   ? HCR__TYPE_FUNCTION_POINTER
                   : HCR__TYPE_POINTER;
}

/* A member's place: *offset in bytes, and for a bit-field its first bit
   and width. 0 when the attributes make no sense. */
static int member_place(Dwarf_Die *m, const struct hcr__type *mt, struct hcr__type_member *out)
{
    uint64_t bit_size = 0, data_bit_offset, offset = 0;
    Dwarf_Attribute attr;
    if (dwarf_attr(m, DW_AT_data_member_location, &attr)) {
        Dwarf_Word w;
        Dwarf_Op *ops;
        size_t n;
        if (dwarf_formudata(&attr, &w) == 0)
            offset = w;
        else if (dwarf_getlocation(&attr, &ops, &n) == 0 && n == 1 &&
                 ops[0].atom == DW_OP_plus_uconst)
            offset = ops[0].number; /* DWARF 2's form of a constant offset */
        else
            return 0;
    }
    if (!udata(m, DW_AT_bit_size, &bit_size) || bit_size == 0) {
        out->offset = offset;
        return 1;
    }
    int integral = mt->kind == HCR__TYPE_SIGNED || mt->kind == HCR__TYPE_UNSIGNED ||
                   mt->kind == HCR__TYPE_BOOL || mt->kind == HCR__TYPE_ENUM;
    if (!integral || bit_size > 64 || mt->size > 8 || bit_size > mt->size * 8)
        return 0;
    uint64_t first_bit;
    if (udata(m, DW_AT_data_bit_offset, &data_bit_offset)) {
        first_bit = data_bit_offset; /* DWARF 4 and later: from the record's start */
    } else {
        /* DWARF 2 and 3: counted from the most significant bit of a
           storage unit of DW_AT_byte_size bytes at the member's offset. */
        uint64_t unit = mt->size, msb_offset;
        udata(m, DW_AT_byte_size, &unit);
        if (!udata(m, DW_AT_bit_offset, &msb_offset) || unit > 8 || unit == 0 ||
            msb_offset + bit_size > unit * 8)
            return 0;
        first_bit = offset * 8 + (unit * 8 - msb_offset - bit_size);
    }
    if (first_bit > TYPES_MAX_SIZE * 8)
        return 0;
    out->offset = first_bit / 8;
    out->bit_offset = (unsigned)(first_bit % 8);
    out->bit_size = (unsigned)bit_size;
    return 1;
}

/* The bytes a member occupies, for checking it lies inside its record. */
static uint64_t member_extent(const struct hcr__type_member *m)
{
    if (m->bit_size)
        return (m->bit_offset + m->bit_size + 7) / 8;
    return m->type->size;
}

static void fill_record(struct hcr__types *t, struct hcr__type *ty, Dwarf_Die *die, int depth)
{
    uint64_t size;
    ty->kind = dwarf_tag(die) == DW_TAG_union_type ? HCR__TYPE_UNION : HCR__TYPE_STRUCT;
    if (dwarf_hasattr(die, DW_AT_declaration) || !udata(die, DW_AT_byte_size, &size) ||
        size > TYPES_MAX_SIZE) {
        ty->kind = HCR__TYPE_OPAQUE; /* incomplete here, or nonsense */
        return;
    }
    ty->size = size;
    size_t count = 0, capacity = 0;
    struct hcr__type_member *members = NULL;
    Dwarf_Die m;
    int ok = 1;
    if (dwarf_child(die, &m) == 0) {
        do {
            if (dwarf_tag(&m) != DW_TAG_member || dwarf_hasattr(&m, DW_AT_external))
                continue;
            struct hcr__type_member item = {die_name(&m), 0, 0, 0, NULL};
            Dwarf_Die mt;
            item.type = ref_die(&m, DW_AT_type, &mt) ? read_type(t, &mt, depth + 1) : NULL;
            if (!item.type || !member_place(&m, item.type, &item) || item.offset > size ||
                member_extent(&item) > size - item.offset) {
                ok = 0;
                break;
            }
            struct hcr__type_member *grown =
                hcr__grow(members, count, &capacity, sizeof *members, 8);
            if (!grown) {
                t->out_of_memory = 1;
                ok = 0;
                break;
            }
            members = grown;
            members[count++] = item;
        } while (dwarf_siblingof(&m, &m) == 0);
    }
    struct hcr__type_member *stored = ok && count ? arena_alloc(t, count * sizeof *stored) : NULL;
    if (stored)
        memcpy(stored, members, count * sizeof *stored);
    free(members);
    if (!ok || (count && !stored)) {
        ty->kind = HCR__TYPE_OPAQUE;
        return;
    }
    ty->u.record.members = stored;
    ty->u.record.count = count;
}

/* One dimension's count from a DW_TAG_subrange_type: DW_AT_count, or the
   upper bound plus one; 0 when neither is a constant (a flexible array
   member). -1 when the bounds make no sense. */
static int64_t dimension(Dwarf_Die *sub)
{
    uint64_t count, upper, lower = 0;
    if (udata(sub, DW_AT_count, &count))
        return count > TYPES_MAX_SIZE ? -1 : (int64_t)count;
    if (udata(sub, DW_AT_lower_bound, &lower) && lower != 0)
        return -1; /* C arrays start at 0 */
    if (!udata(sub, DW_AT_upper_bound, &upper))
        return 0;
    if (upper == UINT64_MAX || upper == 0xffffffffu)
        return 0; /* gcc's way of saying "no bound" in some versions */
    return upper >= TYPES_MAX_SIZE ? -1 : (int64_t)upper + 1;
}

static void fill_array(struct hcr__types *t, struct hcr__type *ty, Dwarf_Die *die, int depth)
{
    ty->kind = HCR__TYPE_OPAQUE;
    Dwarf_Die et, sub;
    const struct hcr__type *element = ref_die(die, DW_AT_type, &et) ? read_type(t, &et, depth + 1)
                                                                    : NULL;
    if (!element || element->size == 0)
        return;
    int64_t counts[TYPES_MAX_DIMENSIONS];
    int dims = 0;
    if (dwarf_child(die, &sub) == 0) {
        do {
            if (dwarf_tag(&sub) != DW_TAG_subrange_type)
                continue;
            if (dims == TYPES_MAX_DIMENSIONS || (counts[dims] = dimension(&sub)) < 0)
                return;
            dims++;
        } while (dwarf_siblingof(&sub, &sub) == 0);
    }
    if (dims == 0)
        counts[dims++] = 0;
    /* int a[2][3]: an array of 2 arrays of 3; built from the inside out,
       the outermost dimension being this DIE's node. */
    for (int d = dims - 1; d >= 0; d--) {
        uint64_t count = (uint64_t)counts[d];
        if (count && element->size > TYPES_MAX_SIZE / count)
            return;
        struct hcr__type *level = d == 0 ? ty : arena_alloc(t, sizeof *level);
        if (!level)
            return;
        level->kind = HCR__TYPE_ARRAY;
        level->size = count * element->size;
        level->u.array.element = element;
        level->u.array.count = count;
        level->has_pointers = element->has_pointers;
        element = level;
    }
}

static void fill_enum(struct hcr__types *t, struct hcr__type *ty, Dwarf_Die *die)
{
    uint64_t size = 0;
    ty->kind = HCR__TYPE_OPAQUE;
    if (dwarf_hasattr(die, DW_AT_declaration) || !udata(die, DW_AT_byte_size, &size) ||
        (size != 1 && size != 2 && size != 4 && size != 8))
        return;
    ty->size = size;
    size_t count = 0;
    Dwarf_Die e;
    if (dwarf_child(die, &e) == 0)
        do
            count += dwarf_tag(&e) == DW_TAG_enumerator;
        while (dwarf_siblingof(&e, &e) == 0);
    struct hcr__type_enumerator *values = count ? arena_alloc(t, count * sizeof *values) : NULL;
    if (count && !values)
        return;
    int is_signed = 0;
    Dwarf_Die base;
    if (ref_die(die, DW_AT_type, &base) && strip(&base)) {
        uint64_t encoding = 0;
        udata(&base, DW_AT_encoding, &encoding);
        is_signed = encoding == DW_ATE_signed || encoding == DW_ATE_signed_char;
    }
    size_t n = 0;
    if (count && dwarf_child(die, &e) == 0) {
        do {
            if (dwarf_tag(&e) != DW_TAG_enumerator || n == count)
                continue;
            Dwarf_Attribute attr;
            Dwarf_Sword value;
            const char *name = die_name(&e);
            if (!name || !dwarf_attr(&e, DW_AT_const_value, &attr) ||
                dwarf_formsdata(&attr, &value) != 0)
                return;
            if (value < 0)
                is_signed = 1;
            values[n++] = (struct hcr__type_enumerator){name, value};
        } while (dwarf_siblingof(&e, &e) == 0);
    }
    ty->kind = HCR__TYPE_ENUM;
    ty->u.enumeration.values = values;
    ty->u.enumeration.count = n;
    ty->u.enumeration.is_signed = is_signed;
}

static int record_has_pointers(const struct hcr__type *ty)
{
    /* Inside a union, which member holds the value is not known: its
       bytes are copied as they are, never rebased. */
    if (ty->kind != HCR__TYPE_STRUCT)
        return 0;
    for (size_t i = 0; i < ty->u.record.count; i++)
        if (ty->u.record.members[i].type->has_pointers)
            return 1;
    return 0;
}

static const struct hcr__type *read_type(struct hcr__types *t, Dwarf_Die *die, int depth)
{
    Dwarf_Die d = *die;
    if (depth > TYPES_MAX_DEPTH || !strip(&d))
        return &invalid_type;
    Dwarf_Off offset = dwarf_dieoffset(&d);
    struct node *n = cache_find(t, offset);
    if (n)
        return n->building ? &invalid_type : &n->type;
    n = arena_alloc(t, sizeof *n);
    if (!n || cache_put(t, offset, n) < 0)
        return NULL;
    n->building = 1;
    struct hcr__type *ty = &n->type;
    ty->name = die_name(&d);
    switch (dwarf_tag(&d)) {
    case DW_TAG_base_type:
        fill_base(ty, &d);
        break;
    case DW_TAG_pointer_type:
        fill_pointer(ty, &d);
        break;
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
        fill_record(t, ty, &d, depth);
        break;
    case DW_TAG_array_type:
        fill_array(t, ty, &d, depth);
        break;
    case DW_TAG_enumeration_type:
        fill_enum(t, ty, &d);
        break;
    default: {
        uint64_t size = 0;
        udata(&d, DW_AT_byte_size, &size);
        ty->kind = HCR__TYPE_OPAQUE;
        ty->size = size <= TYPES_MAX_SIZE ? size : 0;
    }
    }
    if (ty->kind == HCR__TYPE_POINTER || ty->kind == HCR__TYPE_FUNCTION_POINTER)
        ty->has_pointers = 1;
    else if (ty->kind == HCR__TYPE_STRUCT)
        ty->has_pointers = record_has_pointers(ty);
    n->building = 0;
    t->built++;
    return ty;
}

const struct hcr__type *hcr__types_of_variable(struct hcr__types *t, Dwarf_Die *variable)
{
    Dwarf_Die type;
    if (!t || !ref_die(variable, DW_AT_type, &type))
        return NULL;
    const struct hcr__type *ty = read_type(t, &type, 0);
    return ty == &invalid_type ? NULL : ty;
}

/* Splits "struct x" into its tag and name. */
static const char *parse_c_name(const char *c_name, int *tag)
{
    static const struct {
        const char *prefix;
        int tag;
    } prefixes[] = {{"struct ", DW_TAG_structure_type},
                    {"union ", DW_TAG_union_type},
                    {"enum ", DW_TAG_enumeration_type}};
    for (size_t i = 0; i < HCR__ARRAY_SIZE(prefixes); i++) {
        size_t len = strlen(prefixes[i].prefix);
        if (strncmp(c_name, prefixes[i].prefix, len) == 0) {
            *tag = prefixes[i].tag;
            return c_name + len;
        }
    }
    *tag = 0; /* a typedef or base type */
    return c_name;
}

const struct hcr__type *hcr__types_find(struct hcr__types *t, const char *c_name)
{
    if (!t || !c_name)
        return NULL;
    int want;
    const char *name = parse_c_name(c_name, &want);
    Dwarf_Off offset = 0, next;
    size_t header_size;
    while (dwarf_nextcu(t->dw, offset, &next, &header_size, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, child;
        if (dwarf_offdie(t->dw, offset + header_size, &cu) && dwarf_child(&cu, &child) == 0) {
            do {
                int tag = dwarf_tag(&child);
                int kind_ok = want ? tag == want
                                   : tag == DW_TAG_typedef || tag == DW_TAG_base_type;
                const char *n = kind_ok ? die_name(&child) : NULL;
                if (!n || strcmp(n, name) != 0 || dwarf_hasattr(&child, DW_AT_declaration))
                    continue;
                const struct hcr__type *ty = read_type(t, &child, 0);
                return ty == &invalid_type ? NULL : ty;
            } while (dwarf_siblingof(&child, &child) == 0);
        }
        offset = next;
    }
    return NULL;
}

static int same_name(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

int hcr__type_same(const struct hcr__type *a, const struct hcr__type *b)
{
    if (a == b)
        return 1;
    if (a->kind != b->kind || a->size != b->size)
        return 0;
    switch (a->kind) {
    case HCR__TYPE_OPAQUE:
        return same_name(a->name, b->name);
    case HCR__TYPE_FLOAT:
        return a->size != 16 || same_name(a->name, b->name); /* long double, _Float128 */
    case HCR__TYPE_ENUM:
        if (a->u.enumeration.count != b->u.enumeration.count)
            return 0;
        for (size_t i = 0; i < a->u.enumeration.count; i++)
            if (a->u.enumeration.values[i].value != b->u.enumeration.values[i].value ||
                !same_name(a->u.enumeration.values[i].name, b->u.enumeration.values[i].name))
                return 0;
        return 1;
    case HCR__TYPE_ARRAY:
        return a->u.array.count == b->u.array.count &&
               hcr__type_same(a->u.array.element, b->u.array.element);
    case HCR__TYPE_STRUCT:
    case HCR__TYPE_UNION:
        if (a->u.record.count != b->u.record.count)
            return 0;
        for (size_t i = 0; i < a->u.record.count; i++) {
            const struct hcr__type_member *x = &a->u.record.members[i], *y = &b->u.record.members[i];
            if (x->offset != y->offset || x->bit_offset != y->bit_offset ||
                x->bit_size != y->bit_size || !same_name(x->name, y->name) ||
                !hcr__type_same(x->type, y->type))
                return 0;
        }
        return 1;
    default:
        return 1; /* integers, bool, pointers: kind and size say it all */
    }
}

int hcr__type_has_pointers(const struct hcr__type *t)
{
    return t->has_pointers;
}

const char *hcr__type_label(const struct hcr__type *t, char *buf, size_t len)
{
    switch (t->kind) {
    case HCR__TYPE_STRUCT: snprintf(buf, len, "struct %s", t->name ? t->name : "<anonymous>"); break;
    case HCR__TYPE_UNION: snprintf(buf, len, "union %s", t->name ? t->name : "<anonymous>"); break;
    case HCR__TYPE_ENUM: snprintf(buf, len, "enum %s", t->name ? t->name : "<anonymous>"); break;
    case HCR__TYPE_POINTER: snprintf(buf, len, "pointer"); break;
    case HCR__TYPE_FUNCTION_POINTER: snprintf(buf, len, "function pointer"); break;
    case HCR__TYPE_ARRAY: {
        char inner[96];
        snprintf(buf, len, "%s[%llu]", hcr__type_label(t->u.array.element, inner, sizeof inner),
                 (unsigned long long)t->u.array.count);
        break;
    }
    default: snprintf(buf, len, "%s", t->name ? t->name : "?");
    }
    return buf;
}
