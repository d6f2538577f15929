/*
 * test_plugin_gdb.c: gdb debugs a guest in plugin mode as it would a
 * library it loaded itself, in the first version and after a reload: a
 * pending breakpoint is hit in each version's copy, and symbols resolve to
 * that copy's addresses, so a variable reads its live value. The copy's
 * edits for the loader (load_edits.c) must not confuse it: gdb checks the
 * loader's idea of the dynamic section against the file's.
 */
#include "gdb_batch.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

static const char *run_gdb(const char *commands)
{
    char line[4096], args[4096];
    snprintf(line, sizeof line, "-ex 'set breakpoint pending on' %s", commands);
    snprintf(args, sizeof args, "'%s' '%s' '%s' '%s'", HCR_GDB_HOST, harness_path("guest.so"),
             HCR_TEST_GUESTS "/counter_v1.so", HCR_TEST_GUESTS "/counter_v2.so");
    return gdb_batch(line, args);
}

TEST_TIMEOUT(gdb_breaks_in_each_version_and_reads_its_variables, 120)
{
    const char *out = run_gdb(
        "-ex 'break hcr_main' -ex run -ex 'info symbol $pc' -ex 'print initialised' "
        "-ex delete -ex 'break host_reloaded' -ex continue "
        "-ex 'break hcr_main' -ex continue -ex 'info symbol $pc' -ex 'info symbol &initialised' "
        "-ex 'print initialised == ((struct guest_report *)ctx->userdata)->initialised' "
        "-ex 'print initialised > 100' -ex delete -ex continue");
    CHECK_STR_HAS(out, "Breakpoint 1, hcr_main (ctx=");
    CHECK_STR_HAS(out, "op=HCR_LOAD) at ");
    CHECK_STR_HAS(out, "hcr_main in section .text of ");
    CHECK_STR_HAS(out, "/v1-guest.so");
    CHECK_STR_HAS(out, "$1 = 100");
    CHECK_STR_HAS(out, "Breakpoint 2, host_reloaded (version=2)");
    CHECK_STR_HAS(out, "hit Breakpoint 3.1, hcr_main (ctx="); /* 3.2: version 1, still mapped */
    CHECK_STR_HAS(out, "/v2-guest.so");
    CHECK_STR_HAS(out, "initialised in section .data of ");
    CHECK_STR_HAS(out, "$2 = 1"); /* gdb reads the value the guest reports */
    CHECK_STR_HAS(out, "$3 = 1"); /* carried from version 1 */
    CHECK_STR_HAS(out, "exited normally");
    CHECK(strstr(out, "not at the expected address") == NULL);
}
