/* gdb_batch.h: running gdb in batch mode on a test program. */
#ifndef HCR_TEST_GDB_BATCH_H
#define HCR_TEST_GDB_BATCH_H

/* Runs `gdb -batch -nx <commands> --args <program_and_args>` (both already
   quoted for the shell) and returns everything gdb and the program printed,
   in a static buffer. Fails the test when gdb exits with an error. Turns
   LeakSanitizer off, which cannot run under ptrace. */
const char *gdb_batch(const char *commands, const char *program_and_args);

#endif
