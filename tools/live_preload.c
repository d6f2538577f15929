/*
 * live_preload.c: libhcr_live.so, the library `hcr run` preloads into a
 * program so that live editing runs in it although the program neither
 * links hcr nor calls it. Its constructor, when HCR_LIVE is set, reads the
 * options hcr run passed through the environment and starts live editing.
 * hcr_live_start returns at once: discovery, watching and compiling run on
 * hcr's thread, so the program's main thread only pays for a few getenv
 * calls here.
 *
 * The environment is left for the program's children: a program it
 * executes loads this library too, and is live when it was built with the
 * reload flags; in one whose debug information names no source of its own
 * (/bin/sh, make, the compiler) hcr says nothing and its thread ends. The
 * compilers hcr starts get an environment without HCR_LIVE and without
 * the preloaded libraries (live_compile.c). A forked child keeps live
 * editing through hcr's fork handlers, not through this constructor.
 *
 * Environment, all set by hcr run:
 *   HCR_LIVE=1               start live editing; this constructor changes
 *                            it to HCR_LIVE=inherited for the program's
 *                            children, which then stay quiet when they
 *                            have nothing to edit
 *   HCR_COMPILE_COMMANDS     the compilation database, if given
 *   HCR_LIVE_CFLAGS          extra compiler flags, if given
 *   HCR_LIVE_PRELOAD         what hcr run put before the previous value of
 *                            LD_PRELOAD, taken off again for compilers
 */
#include <hcr.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A copy of the environment variable `name`, or NULL when it is unset or
   empty. The copy lives as long as the process: the engine may keep the
   pointers it is given. */
static char *copy_env(const char *name)
{
    const char *value = getenv(name);
    return value && value[0] ? strdup(value) : NULL;
}

/* Runs before the program's main (and before its own constructors), on
   its main thread, with no other thread started yet: the only moment at
   which changing the environment is safe. */
__attribute__((constructor)) static void live_preload_start(void)
{
    static struct hcr_live_options options;
    const char *live = getenv("HCR_LIVE");
    if (!live)
        return;
    if (strcmp(live, "1") == 0)
        setenv("HCR_LIVE", "inherited", 1);
    else if (strcmp(live, "inherited") == 0)
        options.quiet_without_units = 1;
    else
        return;
    options.compile_commands = copy_env("HCR_COMPILE_COMMANDS");
    options.extra_cflags = copy_env("HCR_LIVE_CFLAGS");

    int rc = hcr_live_start(&options);
    if (rc < 0 && !options.quiet_without_units)
        fprintf(stderr, "hcr: live editing not started: %s (%s)\n", hcr_strerror(rc),
                hcr_error_name(rc));
}
