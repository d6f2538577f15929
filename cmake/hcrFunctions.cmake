# CMake functions for users of hcr (installed with the package).

# hcr_plugin(<target>): build <target> (a MODULE or SHARED library) as an hcr
# plugin with the flags HCR_CALLER and per-variable state need.
function(hcr_plugin target)
  target_compile_options(${target} PRIVATE ${HCR_PLUGIN_CFLAGS})
  set_target_properties(${target} PROPERTIES PREFIX "")
endfunction()

# hcr_reloadable(<target>): build the sources of <target> so that object mode
# can reload each translation unit. hcr links against the executable's full
# symbol table and debug information, read from /proc/self/exe: do not strip
# it. Exporting the executable's symbols is not needed by object mode; it is
# set so that plugins and dlsym see the same functions the objects bind to.
function(hcr_reloadable target)
  target_compile_options(${target} PRIVATE ${HCR_RELOAD_CFLAGS})
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    set_target_properties(${target} PROPERTIES ENABLE_EXPORTS ON)
  endif()
endfunction()
