# reload_flags.cmake (x86-64): HCR_RELOAD_CFLAGS, the recommended flags of
# translation units reloadable in object mode, included by
# cmake/hcrFlags.cmake. Only -g is needed; README's flag table says what
# each flag buys and what happens without it.
#   -fpatchable-function-entry=9,5: 5 bytes of padding before each function
#     and 4 one-byte nops at its entry; hcr redirects the function one byte
#     at a time without pausing any thread. Without it hcr writes a jump
#     over the first instructions while other threads are paused.
#   -fdata-sections: one section per variable, so "section + offset" names
#     one variable with no decoding.
#   -g: debug information, to tell apart same-named file statics and
#     function-local statics, and to show reloaded code in gdb.
#   -fPIC: the object can be placed anywhere near the image.
#   -ffunction-sections: one section per function (optional).
#   -fcf-protection=none: keeps the pads at the entry itself rather than
#     behind an endbr64 (with it, the entry is redirected like one without
#     pads).
set(HCR_RELOAD_CFLAGS -fPIC -g -ffunction-sections -fdata-sections
    -fpatchable-function-entry=9,5 -fcf-protection=none)
