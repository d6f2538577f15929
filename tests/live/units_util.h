/*
 * units_util.h: what the tests of live editing's units share
 * (units_util.c): a log sink that keeps what it was given, files and
 * directories made in the test's directory, and commands joined into one
 * string to compare.
 */
#ifndef HCR_TEST_UNITS_UTIL_H
#define HCR_TEST_UNITS_UTIL_H

#include <hcr.h>

/* What capture_log was given, a line "LEVEL message" each. */
extern char logged[16384];
void capture_log(enum hcr_log_level level, const char *message, void *user);

/* Writes `text` to `name` in the test's directory; returns its path. */
const char *write_file(const char *name, const char *text);
/* mkdir, an existing directory allowed. */
void make_dir(const char *path);
/* argv joined with '|' (static buffer), to compare whole commands. */
const char *joined(char **argv);
/* The test's directory with its symbolic links resolved (malloc'ed). */
char *real_tmpdir(void);

#endif
