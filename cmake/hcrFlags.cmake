# The compiler flags users' code needs, defined once.
#
# HCR_PLUGIN_CFLAGS: plugins (instances, HCR_CALLER). Position-independent
#   code, debug info (per-variable state matching by source file and
#   function), and no sibling-call optimisation: a call from plugin code into
#   a host callback must leave a return address inside the plugin, or the
#   host cannot tell which instance called.
set(HCR_PLUGIN_CFLAGS -fPIC -g -fno-optimize-sibling-calls)
# HCR_RELOAD_CFLAGS: translation units reloadable in object mode.
#   -fPIC: the object can be placed anywhere near the image.
#   -ffunction-sections -fdata-sections: one section per function and per
#     object, so each is placed and resolved on its own.
#   -fpatchable-function-entry=9,5: 5 bytes of padding before each function
#     and 4 nops at its entry; hcr redirects an old function by writing a
#     jump into the padding and a 2-byte jump at the entry, atomically and
#     clear of the byte a debugger puts its breakpoint on.
#   -g: debug information, to tell apart file statics of the same name and
#     to show reloaded code in gdb.
set(HCR_RELOAD_CFLAGS -fPIC -g -ffunction-sections -fdata-sections
    -fpatchable-function-entry=9,5)
string(REPLACE ";" " " HCR_PLUGIN_CFLAGS_STRING "${HCR_PLUGIN_CFLAGS}")
string(REPLACE ";" " " HCR_RELOAD_CFLAGS_STRING "${HCR_RELOAD_CFLAGS}")
