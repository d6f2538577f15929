# The compiler flags users' code needs, defined once.
#
# HCR_PLUGIN_CFLAGS: plugins (instances, HCR_CALLER). Position-independent
#   code, debug info (per-variable state matching by source file and
#   function), and no sibling-call optimisation: a call from plugin code into
#   a host callback must leave a return address inside the plugin, or the
#   host cannot tell which instance called.
set(HCR_PLUGIN_CFLAGS -fPIC -g -fno-optimize-sibling-calls)
# HCR_ARCH: the machine, as named by its directory under src/arch/.
if(NOT HCR_ARCH)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(HCR_ARCH x86_64)
  else()
    message(FATAL_ERROR "hcr has no port to ${CMAKE_SYSTEM_PROCESSOR} yet; "
                        "src/arch/README lists what a port provides")
  endif()
endif()
# HCR_RELOAD_CFLAGS: translation units reloadable in object mode; the
# machine's own list (its pad geometry is an architecture fact), from its
# directory in the source tree or, installed, from beside this file.
if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/hcrReloadFlags.cmake")
  include("${CMAKE_CURRENT_LIST_DIR}/hcrReloadFlags.cmake")
else()
  include("${CMAKE_CURRENT_LIST_DIR}/../src/arch/${HCR_ARCH}/reload_flags.cmake")
endif()
string(REPLACE ";" " " HCR_PLUGIN_CFLAGS_STRING "${HCR_PLUGIN_CFLAGS}")
string(REPLACE ";" " " HCR_RELOAD_CFLAGS_STRING "${HCR_RELOAD_CFLAGS}")
