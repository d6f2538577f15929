/*
 * debug_gdb.c: the GDB JIT interface. gdb puts a breakpoint on
 * __jit_debug_register_code; each time it is hit gdb reads
 * __jit_debug_descriptor.relevant_entry and loads (or drops) the in-memory
 * symbol file it points to. When gdb attaches later it walks the whole list
 * from first_entry.
 *
 * The symbol file is a copy of the relocatable object itself, with each
 * loaded section's sh_addr set to its load address. gdb treats the section
 * addresses of a JIT object as absolute, and for a relocatable file it
 * applies the .rela.debug_* (and .rela.eh_frame) sections itself against
 * those addresses, so DWARF, line tables and symbols all land on the loaded
 * code. Allocatable sections that were not loaded lose SHF_ALLOC in the
 * copy, so gdb does not place them at address 0.
 *
 * The list is changed under a mutex: gdb reads it only while the process is
 * stopped in __jit_debug_register_code, which is called with the lock held.
 */
#include "object/debug_parts.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { JIT_NOACTION = 0, JIT_REGISTER = 1, JIT_UNREGISTER = 2 };

/* Both names are looked up by gdb in the process's symbol tables. */
__attribute__((visibility("default"))) struct hcr__jit_descriptor __jit_debug_descriptor = {
    1, JIT_NOACTION, NULL, NULL};

/* gdb's breakpoint goes here: it must exist as a real call, so never
   inlined, and the barrier keeps the compiler from treating calls to it as
   removable or from sinking the descriptor writes past it. */
__attribute__((visibility("default"), noinline, used)) void __jit_debug_register_code(void)
{
    __asm__ volatile("" ::: "memory");
}

static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

/* The object with load addresses: `file` (elf's bytes) rewritten in place,
   or a copy (file NULL). NULL on allocation failure. */
static char *build_symfile(const struct hcr__elf *elf, const uintptr_t *section_address,
                           char *file)
{
    char *copy = file ? file : malloc(elf->size);
    if (!copy)
        return NULL;
    if (!file)
        memcpy(copy, elf->data, elf->size);
    /* The reader validated the section table: it lies inside the file. */
    Elf64_Shdr *shdrs = (Elf64_Shdr *)(copy + ((const unsigned char *)elf->shdrs - elf->data));
    for (size_t i = 1; i < elf->shnum; i++) {
        if (section_address[i])
            shdrs[i].sh_addr = section_address[i];
        else
            shdrs[i].sh_flags &= ~(Elf64_Xword)SHF_ALLOC;
    }
    return copy;
}

struct hcr__jit_code_entry *hcr__debug_gdb_add(const char *object_path, const struct hcr__elf *elf,
                                               const uintptr_t *section_address, void *file,
                                               struct hcr__message *msg)
{
    struct hcr__jit_code_entry *e = calloc(1, sizeof *e);
    char *symfile = e ? build_symfile(elf, section_address, file) : NULL;
    if (!symfile) {
        free(e);
        hcr__fail(msg, HCR_ENOMEM, "%s: out of memory for its debugger image", object_path);
        return NULL;
    }
    e->symfile_addr = symfile;
    e->symfile_size = elf->size;
    pthread_mutex_lock(&jit_lock);
    e->next_entry = __jit_debug_descriptor.first_entry;
    if (e->next_entry)
        e->next_entry->prev_entry = e;
    __jit_debug_descriptor.first_entry = e;
    __jit_debug_descriptor.relevant_entry = e;
    __jit_debug_descriptor.action_flag = JIT_REGISTER;
    __jit_debug_register_code();
    __jit_debug_descriptor.action_flag = JIT_NOACTION;
    pthread_mutex_unlock(&jit_lock);
    return e;
}

void hcr__debug_gdb_remove(struct hcr__jit_code_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&jit_lock);
    if (e->prev_entry)
        e->prev_entry->next_entry = e->next_entry;
    else
        __jit_debug_descriptor.first_entry = e->next_entry;
    if (e->next_entry)
        e->next_entry->prev_entry = e->prev_entry;
    __jit_debug_descriptor.relevant_entry = e;
    __jit_debug_descriptor.action_flag = JIT_UNREGISTER;
    __jit_debug_register_code();
    __jit_debug_descriptor.action_flag = JIT_NOACTION;
    __jit_debug_descriptor.relevant_entry = NULL;
    pthread_mutex_unlock(&jit_lock);
    free((void *)e->symfile_addr);
    free(e);
}
