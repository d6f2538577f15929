/*
 * debug_unwind.c: unwinding through reloaded code. libgcc's unwinder
 * (used by backtrace(), C++ exceptions and _Unwind_*) finds the frame
 * description of a PC in the images dl_iterate_phdr reports and in the
 * .eh_frame sections registered with __register_frame. A registered
 * .eh_frame must end with a zero terminator, which a relocatable object's
 * .eh_frame lacks (the final link adds it), and the loaded copy may be
 * followed directly by other data. So hcr registers a copy placed near the
 * loaded one, with a terminator after it. Moving the bytes changes every
 * PC-relative pointer in them (the FDEs' pc_begin, personality and LSDA
 * pointers), so the copy is made by walking the CIEs and FDEs, which also
 * validates them, and adjusting each such pointer by the distance moved.
 */
#include "object/debug_parts.h"
#include "object/near_memory.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* libgcc's registration of extra .eh_frame sections. */
extern void __register_frame(void *begin);
extern void __deregister_frame(void *begin);

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_pcrel 0x10
#define DW_EH_PE_aligned 0x50

struct hcr__debug_frames {
    unsigned char *copy;
    size_t map_size;
};

struct frame_walk {
    const unsigned char *src; /* the loaded .eh_frame */
    unsigned char *dst;       /* the copy being made */
    size_t size;
    intptr_t moved;           /* dst - src */
    const char *path;
    struct hcr__message *msg;
};

struct cie_info {
    size_t offset;
    unsigned char fde_encoding, lsda_encoding;
    int augmented; /* 'z': FDEs carry augmentation data */
};

static int bad(struct frame_walk *w, size_t at, const char *what)
{
    return hcr__fail(w->msg, HCR_ECORRUPT, "%s: .eh_frame at offset %zu: %s", w->path, at, what);
}

/* Reads an unsigned LEB128 at *at below end. -1 when it runs past end. */
static int read_uleb(const struct frame_walk *w, size_t *at, size_t end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *at < end; shift += 7) {
        unsigned char b = w->src[(*at)++];
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* The size of a pointer with this encoding, 0 for variable-length ones. */
static size_t encoded_size(unsigned char encoding)
{
    switch (encoding & 0x0f) {
    case 0x00: return 8; /* absptr */
    case 0x02: case 0x0a: return 2;
    case 0x03: case 0x0b: return 4;
    case 0x04: case 0x0c: return 8;
    default: return 0;
    }
}

/* Steps over the pointer with `encoding` at *at, adjusting it in the copy
   when it is PC-relative. 0 or HCR_ECORRUPT / HCR_ERANGE with msg. */
static int move_pointer(struct frame_walk *w, size_t *at, size_t end, unsigned char encoding)
{
    if (encoding == DW_EH_PE_omit)
        return 0;
    size_t n = encoded_size(encoding);
    if (n == 0 || (encoding & 0x70) == DW_EH_PE_aligned)
        return bad(w, *at, "pointer encoding not supported");
    if (*at + n > end)
        return bad(w, *at, "pointer runs past its record");
    if ((encoding & 0x70) == DW_EH_PE_pcrel) {
        int64_t v = 0;
        if (n == 2) {
            int16_t v16;
            memcpy(&v16, w->src + *at, 2);
            v = v16;
        } else if (n == 4) {
            int32_t v32;
            memcpy(&v32, w->src + *at, 4);
            v = v32;
        } else {
            memcpy(&v, w->src + *at, 8);
        }
        if (v != 0) { /* 0 means "no pointer" and stays 0 */
            /* An 8-byte field wraps like the address arithmetic it encodes;
               the shorter ones must still fit after the move. */
            int64_t moved = (int64_t)((uint64_t)v - (uint64_t)w->moved);
            int wrapped = __builtin_sub_overflow(v, (int64_t)w->moved, &(int64_t){0});
            if ((n != 8 && wrapped) || (n == 2 && (moved < INT16_MIN || moved > INT16_MAX)) ||
                (n == 4 && (moved < INT32_MIN || moved > INT32_MAX)))
                return hcr__fail(w->msg, HCR_ERANGE,
                                 "%s: .eh_frame copy is out of reach of its code", w->path);
            if (n == 2) {
                int16_t v16 = (int16_t)moved;
                memcpy(w->dst + *at, &v16, 2);
            } else if (n == 4) {
                int32_t v32 = (int32_t)moved;
                memcpy(w->dst + *at, &v32, 4);
            } else {
                memcpy(w->dst + *at, &moved, 8);
            }
        }
    }
    *at += n;
    return 0;
}

/* Parses the CIE record whose body is [at, end). */
static int walk_cie(struct frame_walk *w, size_t at, size_t end, struct cie_info *cie)
{
    size_t start = at;
    if (at >= end)
        return bad(w, start, "empty CIE");
    unsigned char version = w->src[at++];
    const char *aug = (const char *)w->src + at;
    size_t aug_len = strnlen(aug, end - at);
    if (at + aug_len >= end)
        return bad(w, start, "unterminated augmentation string");
    at += aug_len + 1;
    if (version != 1 && version != 3)
        return bad(w, start, "CIE version not supported");
    if (strstr(aug, "eh"))
        return bad(w, start, "old-style \"eh\" augmentation not supported");
    uint64_t ignored;
    if (read_uleb(w, &at, end, &ignored) < 0 || read_uleb(w, &at, end, &ignored) < 0)
        return bad(w, start, "truncated CIE");
    if (version == 1)
        at++;
    else if (read_uleb(w, &at, end, &ignored) < 0)
        return bad(w, start, "truncated CIE");
    cie->fde_encoding = 0; /* absptr */
    cie->lsda_encoding = DW_EH_PE_omit;
    cie->augmented = aug[0] == 'z';
    if (!cie->augmented)
        return at <= end ? 0 : bad(w, start, "truncated CIE");
    uint64_t data_len;
    if (read_uleb(w, &at, end, &data_len) < 0 || data_len > end - at)
        return bad(w, start, "truncated CIE augmentation");
    size_t data_end = at + (size_t)data_len;
    for (const char *c = aug + 1; *c; c++) {
        if (*c == 'R' || *c == 'L' || *c == 'P') {
            if (at >= data_end)
                return bad(w, start, "truncated CIE augmentation");
            unsigned char encoding = w->src[at++];
            if (*c == 'R')
                cie->fde_encoding = encoding;
            else if (*c == 'L')
                cie->lsda_encoding = encoding;
            else if (move_pointer(w, &at, data_end, encoding) < 0)
                return HCR_ECORRUPT;
        } else if (*c != 'S' && *c != 'B') {
            break; /* unknown letter: the rest is skipped by its length */
        }
    }
    return 0;
}

/* Copies and adjusts the whole .eh_frame. 0 or a negative code with msg. */
static int walk_frames(struct frame_walk *w)
{
    struct cie_info *cies = NULL;
    size_t ncies = 0, cap = 0;
    int rc = 0;
    memcpy(w->dst, w->src, w->size);
    for (size_t off = 0; off < w->size && rc == 0;) {
        uint32_t length, id;
        if (w->size - off < 4) {
            rc = bad(w, off, "truncated record length");
            break;
        }
        memcpy(&length, w->src + off, 4);
        if (length == 0)
            break; /* a terminator already: ignore what follows */
        if (length == 0xffffffffu) {
            rc = bad(w, off, "64-bit DWARF records not supported");
            break;
        }
        if (length < 4 || length > w->size - off - 4) {
            rc = bad(w, off, "record runs past the section");
            break;
        }
        size_t end = off + 4 + length, at = off + 8;
        memcpy(&id, w->src + off + 4, 4);
        if (id == 0) {
            struct cie_info *more = hcr__grow(cies, ncies, &cap, sizeof *more, 8);
            if (!more) {
                rc = hcr__fail(w->msg, HCR_ENOMEM, "%s: out of memory", w->path);
                break;
            }
            cies = more;
            cies[ncies].offset = off;
            rc = walk_cie(w, at, end, &cies[ncies]);
            ncies++;
        } else {
            /* id is the distance from this field back to the FDE's CIE. */
            const struct cie_info *cie = NULL;
            for (size_t i = 0; i < ncies && id <= off + 4; i++)
                if (cies[i].offset == off + 4 - id)
                    cie = &cies[i];
            if (!cie) {
                rc = bad(w, off, "FDE without a preceding CIE");
                break;
            }
            unsigned char range_encoding = cie->fde_encoding & 0x0f;
            uint64_t data_len;
            if (move_pointer(w, &at, end, cie->fde_encoding) < 0 ||
                move_pointer(w, &at, end, range_encoding) < 0) {
                rc = HCR_ECORRUPT;
                break;
            }
            if (cie->augmented) {
                if (read_uleb(w, &at, end, &data_len) < 0 || data_len > end - at) {
                    rc = bad(w, off, "truncated FDE augmentation");
                    break;
                }
                if (cie->lsda_encoding != DW_EH_PE_omit &&
                    move_pointer(w, &at, at + (size_t)data_len, cie->lsda_encoding) < 0)
                    rc = HCR_ECORRUPT;
            }
        }
        off = end;
    }
    free(cies);
    return rc;
}

int hcr__debug_frames_copy(const char *path, const void *src, void *dst, size_t size,
                           intptr_t moved, struct hcr__message *msg)
{
    struct frame_walk w = {src, dst, size, moved, path, msg};
    return walk_frames(&w);
}

struct hcr__debug_frames *hcr__debug_frames_register(const char *object_path, const void *eh_frame,
                                                     size_t size, struct hcr__message *msg)
{
    uintptr_t src = (uintptr_t)eh_frame;
    struct hcr__debug_frames *f = calloc(1, sizeof *f);
    if (!f) {
        hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", object_path);
        return NULL;
    }
    f->map_size = size + 4; /* + the terminator */
    f->copy = hcr__near_map(src, src + size, f->map_size, msg);
    if (!f->copy) {
        free(f);
        return NULL;
    }
    if (hcr__debug_frames_copy(object_path, eh_frame, f->copy, size,
                               (intptr_t)((uintptr_t)f->copy - src), msg) < 0)
        goto fail;
    memset(f->copy + size, 0, 4);
    if (mprotect(f->copy, f->map_size, PROT_READ) != 0) {
        hcr__fail(msg, HCR_ENOMEM, "%s: cannot protect the .eh_frame copy", object_path);
        goto fail;
    }
    __register_frame(f->copy);
    return f;
fail:
    hcr__near_unmap(f->copy, f->map_size);
    free(f);
    return NULL;
}

void hcr__debug_frames_unregister(struct hcr__debug_frames *f)
{
    if (!f)
        return;
    __deregister_frame(f->copy);
    hcr__near_unmap(f->copy, f->map_size);
    free(f);
}
