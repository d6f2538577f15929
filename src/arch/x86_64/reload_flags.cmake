# reload_flags.cmake (x86-64): HCR_RELOAD_CFLAGS, the flags of translation
# units reloadable in object mode (gcc only), included by
# cmake/hcrFlags.cmake.
#   -fpatchable-function-entry=9,5 (required): 5 bytes of padding before each
#     function and 4 one-byte nops at its entry; hcr redirects an old function
#     by writing a jump into the padding and a 2-byte jump at the entry, one
#     byte at a time, clear of the byte a debugger puts its breakpoint on.
#     Objects without it fail with HCR_EFLAGS. (clang emits one 4-byte nop at
#     the entry, which cannot be switched byte by byte.)
#   -fdata-sections (recommended): one section per variable, so a reference
#     to "section + offset" names exactly one variable of the running
#     program. Without it, hcr decodes the referring instruction to learn
#     which variable an offset means; thread-local variables sharing a
#     section still fail with HCR_EFLAGS.
#   -g (required): debug information, to tell apart file statics in files
#     of the same base name and function-local statics (whose name.N numbers
#     shift between builds), and to show reloaded code in gdb.
#   -fPIC (required): the object can be placed anywhere near the image, and
#     reaches libraries through GOT entries.
#   -ffunction-sections (optional): one section per function; objects built
#     without it reload as well.
#   -fcf-protection=none (required where the compiler defaults to CET, as on
#     Ubuntu): otherwise every function starts with endbr64 before the entry
#     nops, and the entry cannot be switched byte by byte.
set(HCR_RELOAD_CFLAGS -fPIC -g -ffunction-sections -fdata-sections
    -fpatchable-function-entry=9,5 -fcf-protection=none)
