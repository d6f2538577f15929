/*
 * live_preload.c: libhcr_live.so, the library `hcr run` preloads into a
 * program so that live editing runs in it although the program neither
 * links hcr nor calls it. Its constructor, when HCR_LIVE=1, reads the
 * options hcr run passed through the environment, puts the environment
 * back as it was before hcr run (so that the compilers hcr starts, and
 * the program's own children, are not live-edited and do not load this
 * library) and starts live editing. hcr_live_start returns at once:
 * discovery, watching and compiling run on hcr's thread, so the
 * program's main thread only pays for a few getenv calls here.
 *
 * Environment, all set by hcr run:
 *   HCR_LIVE=1               start live editing (otherwise do nothing)
 *   HCR_COMPILE_COMMANDS     the compilation database, if given
 *   HCR_LIVE_CFLAGS          extra compiler flags, if given
 *   HCR_LIVE_PRELOAD         what hcr run put before the previous value of
 *                            LD_PRELOAD, to be taken off again
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

/* Takes what hcr run added off the front of LD_PRELOAD, leaving the value
   the program was started with (unset when there was none). */
static void restore_preload(void)
{
    const char *added = getenv("HCR_LIVE_PRELOAD");
    const char *preload = getenv("LD_PRELOAD");
    if (added && preload) {
        size_t n = strlen(added);
        if (strncmp(preload, added, n) == 0 && (preload[n] == '\0' || preload[n] == ':')) {
            const char *rest = preload[n] == ':' ? preload + n + 1 : preload + n;
            if (rest[0]) {
                char *copy = strdup(rest);
                if (copy)
                    setenv("LD_PRELOAD", copy, 1);
                free(copy);
            } else {
                unsetenv("LD_PRELOAD");
            }
        }
    }
    unsetenv("HCR_LIVE_PRELOAD");
}

/* Runs before the program's main (and before its own constructors), on
   its main thread, with no other thread started yet: the only moment at
   which changing the environment is safe. */
__attribute__((constructor)) static void live_preload_start(void)
{
    static struct hcr_live_options options;
    const char *live = getenv("HCR_LIVE");
    if (!live || strcmp(live, "1") != 0)
        return;
    options.compile_commands = copy_env("HCR_COMPILE_COMMANDS");
    options.extra_cflags = copy_env("HCR_LIVE_CFLAGS");
    unsetenv("HCR_LIVE");
    unsetenv("HCR_LIVE_CFLAGS");
    restore_preload();

    int rc = hcr_live_start(&options);
    if (rc < 0)
        fprintf(stderr, "hcr: live editing not started: %s (%s)\n", hcr_strerror(rc),
                hcr_error_name(rc));
}
