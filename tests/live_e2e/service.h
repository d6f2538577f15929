/*
 * service.h: the counter service of service/ as the end-to-end tests use
 * it: copied into the test's private directory, built there at test time
 * (with CMake, which writes compile_commands.json beside the executable,
 * or with the plain Makefile, which writes no database), and its sources
 * edited the ways editors save them.
 */
#ifndef HCR_E2E_SERVICE_H
#define HCR_E2E_SERVICE_H

#include "child.h"

#include <stddef.h>

/* Deadlines: a reply, and a save until the reply shows the new code
   (discovery, a compile and a reload; far longer than they take). */
#define REPLY_MS harness_scale(10000)
#define RELOAD_MS harness_scale(20000)

enum service_build {
    SERVICE_CMAKE, /* build/service, build/libtally.so,
                      build/compile_commands.json */
    SERVICE_CMAKE_SLOW, /* the same, compiled by src/slowcc: the compiler
                           behind a script that waits 1 s first when
                           SLOWCC is set in its environment, and appends
                           a line per run to the file $SVC_CCLOG names,
                           when set: "HCR_LIVE=... LD_PRELOAD=... ARGS" */
    SERVICE_MAKE,  /* src/service, src/libtally.so, objects beside the
                      sources */
    SERVICE_MAKE_SELF, /* the same, linked with hcr and starting live editing
                          itself (SVC_SELF_LIVE): reloads at its "poll" */
    SERVICE_CMAKE_PLAIN /* as SERVICE_CMAKE, with the project's ordinary
                           flags (-O2 -g) instead of hcr's reload flags */
};

enum service_save {
    SAVE_RENAME,  /* a temporary file renamed over the source, as vim does */
    SAVE_IN_PLACE /* the source truncated and rewritten */
};

/* Copies the service into <tmpdir>/src, builds it with hcr's reload flags
   and returns the executable's path. Fails the test if the build fails. */
const char *service_build(enum service_build how);

/* The path of file `name` of the copied service. */
const char *service_file(const char *name);

/* Edits file `name` of the copied service: each pair of strings after
   `how` (NULL-terminated) replaces the first occurrence of the first by
   the second, which must occur. The whole edit is saved once, by `how`. */
void service_edit(const char *name, enum service_save how, ...) __attribute__((sentinel));

/* Starts `hcr run ... -- service` (argv) and waits for the service's
   "ready" and for hcr to watch the sources' directory (discovery is
   done): only then is a save certain to be seen. hcr's private
   directories go to the test's directory (XDG_RUNTIME_DIR). Returns the
   offset in stderr from which hcr's lines are about what the test does
   next. */
size_t service_start(struct child *c, char **argv);

/* Ends the service by closing its stdin: it must say "bye" and exit 0. */
void service_finish(struct child *c);

/* argv for `hcr run [options...] -- exe`: `options` NULL-terminated. The
   array is static, rebuilt by each call. */
char **service_hcr_run(const char *exe, ...) __attribute__((sentinel));

#endif
