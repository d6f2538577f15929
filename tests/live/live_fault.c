/*
 * live_fault.c: the unit, the log and the waits of the fault sweeps over
 * live editing (see live_fault.h).
 */
#include "live_fault.h"

#include "fault.h"
#include "harness.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

int (*unit_value)(void);

struct live_log logged = {.lock = PTHREAD_MUTEX_INITIALIZER};

void live_log_sink(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    pthread_mutex_lock(&logged.lock);
    size_t used = strlen(logged.all);
    snprintf(logged.all + used, sizeof logged.all - used, "  logged: %s\n", message);
    if (strstr(message, " units of ") && strstr(message, ", watching "))
        logged.discovered = 1;
    if (strstr(message, " now compiles for the session ") ||
        strstr(message, "this process compiles for itself"))
        logged.took_over = 1;
    if (strstr(message, " reloaded: "))
        logged.reloads++;
    if (level == HCR_LOG_WARN)
        logged.warnings++;
    if (level == HCR_LOG_ERROR) {
        logged.errors++;
        snprintf(logged.last_error, sizeof logged.last_error, "%s", message);
    }
    pthread_mutex_unlock(&logged.lock);
}

void reset_log(void)
{
    pthread_mutex_lock(&logged.lock);
    logged.errors = logged.warnings = logged.reloads = 0;
    logged.last_error[0] = 0;
    pthread_mutex_unlock(&logged.lock);
}

void show_log(void)
{
    pthread_mutex_lock(&logged.lock);
    fputs(logged.all, stderr);
    pthread_mutex_unlock(&logged.lock);
}

void save_unit(int value)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", harness_path("unit.c"));
    FILE *f = fopen(tmp, "w");
    CHECK(f != NULL);
    fprintf(f, "/* test_live_fault's unit */\nint fault_unit_value(void)\n{\n    return %d;\n}\n",
            value);
    CHECK_EQ(fclose(f), 0);
    CHECK_EQ(rename(tmp, harness_path("unit.c")), 0);
}

void build_and_load_unit(void)
{
    save_unit(1);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s -O1 -shared unit.c -o libfaultunit.so",
             harness_tmpdir(), LIVE_GCC, HCR_RELOAD_CFLAGS_STRING);
    int status = system(cmd);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    void *lib = dlopen(harness_path("libfaultunit.so"), RTLD_NOW);
    CHECK(lib != NULL);
    *(void **)&unit_value = dlsym(lib, "fault_unit_value");
    CHECK(unit_value != NULL);
    CHECK_EQ(unit_value(), 1);
}

void wait_live_idle(void)
{
    fault_wait_idle("hcr-live", 60000);
}

void wait_discovered(void)
{
    for (int waited = 0;; waited += 10) {
        pthread_mutex_lock(&logged.lock);
        int discovered = logged.discovered;
        pthread_mutex_unlock(&logged.lock);
        if (discovered)
            return;
        if (waited > harness_scale(30000)) {
            show_log();
            harness_fail(__FILE__, __LINE__, "discovery was never logged");
        }
        harness_sleep_ms(10);
    }
}
