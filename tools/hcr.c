/*
 * hcr.c: the `hcr` command. `hcr run [options] -- PROGRAM [ARGS...]`
 * replaces itself with PROGRAM (execvp: same process, so PROGRAM keeps
 * hcr's stdin, stdout, stderr, exit status and signals) after setting the
 * environment that makes the dynamic linker load libhcr_live.so into it
 * (tools/live_preload.c), which starts live editing from a constructor.
 * The environment stays for PROGRAM's children, so the programs it runs
 * are live too when built with the reload flags.
 *
 * The preload library is found beside this executable (build tree) or in
 * the library directory of the installation (bin/hcr, lib/libhcr_live.so).
 * Exit status: PROGRAM's own, or 2 for bad usage, 125 when hcr run cannot
 * set PROGRAM up, 126 when PROGRAM is not executable and 127 when it is
 * not found (as env(1) and the shell do).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <link.h>
#endif

#ifndef HCR_TOOL_VERSION
#define HCR_TOOL_VERSION "unknown"
#endif
/* Path of the installed library directory relative to the installed bin
   directory ("../lib"), from CMAKE_INSTALL_LIBDIR at build time. */
#ifndef HCR_TOOL_LIBDIR_FROM_BINDIR
#define HCR_TOOL_LIBDIR_FROM_BINDIR "../lib"
#endif

#define PRELOAD_NAME "libhcr_live.so"

enum {
    EXIT_USAGE = 2,
    EXIT_SETUP = 125,
    EXIT_NOEXEC = 126,
    EXIT_NOTFOUND = 127,
};

static const char usage_text[] =
    "usage: hcr run [options] -- PROGRAM [ARGS...]\n"
    "       hcr --help | --version\n"
    "\n"
    "commands:\n"
    "  run    start PROGRAM with live editing: every saved change of one of its\n"
    "         source files is compiled and reloaded into it while it runs\n"
    "\n"
    "`hcr run --help` describes the options of run.\n";

static const char run_help_text[] =
    "usage: hcr run [options] -- PROGRAM [ARGS...]\n"
    "\n"
    "Starts PROGRAM with hcr loaded into it; from then on every saved change\n"
    "of one of its source files (or of a header they include) is compiled in\n"
    "the background and reloaded into the running program, whose globals and\n"
    "statics keep their values. PROGRAM is an executable built with\n"
    "`pkg-config --variable=reload_cflags hcr` (gcc); it neither links hcr nor\n"
    "calls it. PROGRAM is looked up in PATH as the shell does and replaces\n"
    "hcr run: it keeps its stdin, stdout, stderr, signals and exit status.\n"
    "hcr's messages (reloads, compile errors, refused reloads) go to stderr.\n"
    "\n"
    "options:\n"
    "  --compile-commands PATH  the compilation database (compile_commands.json)\n"
    "                           of PROGRAM; sets HCR_COMPILE_COMMANDS. Default:\n"
    "                           $HCR_COMPILE_COMMANDS, else compile_commands.json\n"
    "                           beside PROGRAM or in a parent directory, else in\n"
    "                           the current directory or a parent, else the\n"
    "                           compile commands recorded in PROGRAM's debug\n"
    "                           information\n"
    "  --cflags FLAGS           extra compiler flags for every recompile, split at\n"
    "                           spaces (e.g. --cflags '-DLIVE -O0'); may be given\n"
    "                           more than once; replaces $HCR_LIVE_CFLAGS\n"
    "  -h, --help               print this help and exit\n"
    "  --version                print hcr's version and exit\n"
    "  --                       ends the options; PROGRAM follows\n"
    "\n"
    "exit status: PROGRAM's; 2 on bad usage, 125 when hcr cannot start PROGRAM\n"
    "with live editing, 126 when PROGRAM cannot be executed, 127 when it is\n"
    "not found.\n"
    "\n"
    "Processes: live editing follows PROGRAM into its children. A forked\n"
    "process keeps it; a program it executes (directly or through a script or\n"
    "make) is live too when built with the reload flags, and one whose debug\n"
    "information names no source of its own (a shell, make) is left alone\n"
    "without a word. The processes running one build with the same options\n"
    "share one compile of each change (in a private session directory under\n"
    "$XDG_RUNTIME_DIR, else /tmp): one of them compiles and the others reload\n"
    "what it compiled; when it ends, another takes over.\n";

/* Prints what was wrong with the command line, then the usage; returns the
   exit status for bad usage. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("hcr: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* Writes "<dir>/<rel>/libhcr_live.so" into out; 0, or -1 when too long. */
static int join_path(char *out, size_t size, const char *dir, const char *rel)
{
    int n = rel ? snprintf(out, size, "%s/%s/%s", dir, rel, PRELOAD_NAME)
                : snprintf(out, size, "%s/%s", dir, PRELOAD_NAME);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Finds libhcr_live.so relative to this executable: beside it (the build
   tree keeps both in tools/), then in the installed library directory.
   Writes its absolute path into out and returns 0, or prints what was
   looked for and returns -1. */
static int find_preload(char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || (size_t)n >= sizeof exe - 1) {
        fprintf(stderr, "hcr run: cannot read /proc/self/exe to find %s: %s\n", PRELOAD_NAME,
                n < 0 ? strerror(errno) : "path too long");
        return -1;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) {
        fprintf(stderr, "hcr run: /proc/self/exe is not an absolute path: %s\n", exe);
        return -1;
    }
    *slash = '\0';

    char beside[PATH_MAX], installed[PATH_MAX];
    if (join_path(beside, sizeof beside, exe, NULL) != 0 ||
        join_path(installed, sizeof installed, exe, HCR_TOOL_LIBDIR_FROM_BINDIR) != 0) {
        fprintf(stderr, "hcr run: the path of %s is too long\n", exe);
        return -1;
    }
    const char *found = access(beside, R_OK) == 0      ? beside
                        : access(installed, R_OK) == 0 ? installed
                                                       : NULL;
    if (!found) {
        fprintf(stderr,
                "hcr run: cannot find %s: looked for %s (build tree) and %s (installed); "
                "build the target hcr_live_preload or reinstall hcr\n",
                PRELOAD_NAME, beside, installed);
        return -1;
    }
    if (!realpath(found, out) || strlen(out) >= size) {
        fprintf(stderr, "hcr run: %s: %s\n", found, strerror(errno));
        return -1;
    }
    /* The dynamic linker splits LD_PRELOAD at colons and spaces. */
    if (strpbrk(out, ": \t")) {
        fprintf(stderr,
                "hcr run: %s cannot be preloaded: its path holds a colon or a space; "
                "install hcr under a path without them\n",
                out);
        return -1;
    }
    return 0;
}

#ifdef __SANITIZE_ADDRESS__
/* A sanitized build of hcr: libhcr_live.so needs the AddressSanitizer
   runtime, which must come first in the initial library list. This
   executable has it loaded; its path goes first in LD_PRELOAD. */
static int find_asan(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const char *base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    if (strncmp(base, "libasan.so", 10) != 0)
        return 0;
    snprintf(data, PATH_MAX, "%s", info->dlpi_name);
    return 1;
}
#endif

/* Sets LD_PRELOAD to what hcr adds (the sanitizer runtime of a sanitized
   build, then libhcr_live.so) followed by the previous value, and
   HCR_LIVE_PRELOAD to what was added, so that live editing can give the
   compilers it starts LD_PRELOAD without it. 0, or -1. */
static int set_preload(const char *library)
{
    char added[2 * PATH_MAX + 2];
    int n = snprintf(added, sizeof added, "%s", library);
#ifdef __SANITIZE_ADDRESS__
    char asan[PATH_MAX] = "";
    if (dl_iterate_phdr(find_asan, asan) && asan[0])
        n = snprintf(added, sizeof added, "%s:%s", asan, library);
#endif
    if (n < 0 || (size_t)n >= sizeof added)
        return -1;
    const char *previous = getenv("LD_PRELOAD");
    size_t len = strlen(added) + (previous ? strlen(previous) + 1 : 0) + 1;
    char *value = malloc(len);
    if (!value)
        return -1;
    if (previous && previous[0])
        snprintf(value, len, "%s:%s", added, previous);
    else
        snprintf(value, len, "%s", added);
    int rc = setenv("HCR_LIVE_PRELOAD", added, 1) == 0 && setenv("LD_PRELOAD", value, 1) == 0
                 ? 0
                 : -1;
    free(value);
    return rc;
}

/* Appends flags to *cflags, space-separated. 0, or -1 without memory. */
static int append_cflags(char **cflags, const char *flags)
{
    size_t old = *cflags ? strlen(*cflags) + 1 : 0;
    char *grown = realloc(*cflags, old + strlen(flags) + 1);
    if (!grown)
        return -1;
    if (old)
        grown[old - 1] = ' ';
    strcpy(grown + old, flags);
    *cflags = grown;
    return 0;
}

/* The value of option `name` at argv[*i]: "--name=value" or "--name value"
   (then *i advances). NULL when argv[*i] is not that option; *missing is
   set when it is but has no value. */
static const char *option_value(char **argv, int argc, int *i, const char *name, int *missing)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

/* hcr run: argv[0] is "run". Returns only on failure, with the exit status. */
static int run(int argc, char **argv)
{
    const char *compile_commands = NULL;
    char *cflags = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i], *value;
        int missing = 0;
        if (strcmp(arg, "--") == 0)
            break;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(run_help_text, stdout);
            return fflush(stdout) == 0 ? 0 : 1;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("hcr %s\n", HCR_TOOL_VERSION);
            return fflush(stdout) == 0 ? 0 : 1;
        }
        if ((value = option_value(argv, argc, &i, "--compile-commands", &missing))) {
            compile_commands = value;
        } else if ((value = option_value(argv, argc, &i, "--cflags", &missing))) {
            if (append_cflags(&cflags, value) != 0) {
                fprintf(stderr, "hcr run: out of memory\n");
                return EXIT_SETUP;
            }
        } else if (missing) {
            return usage_error("run: option %s needs a value", arg);
        } else if (arg[0] == '-') {
            return usage_error("run: unknown option %s", arg);
        } else {
            return usage_error("run: expected -- before the program (%s)", arg);
        }
    }
    if (i >= argc)
        return usage_error("run: expected -- and the program to run");
    if (i + 1 >= argc)
        return usage_error("run: no program after --");
    char **program = argv + i + 1;

    char library[PATH_MAX];
    if (find_preload(library, sizeof library) != 0)
        return EXIT_SETUP;
    if (compile_commands) {
        /* Absolute, so that it holds wherever PROGRAM changes directory. */
        char resolved[PATH_MAX];
        if (!realpath(compile_commands, resolved)) {
            fprintf(stderr, "hcr run: --compile-commands %s: %s\n", compile_commands,
                    strerror(errno));
            return EXIT_SETUP;
        }
        if (setenv("HCR_COMPILE_COMMANDS", resolved, 1) != 0)
            return EXIT_SETUP;
    }
    if (cflags ? setenv("HCR_LIVE_CFLAGS", cflags, 1) != 0 : unsetenv("HCR_LIVE_CFLAGS") != 0)
        return EXIT_SETUP;
    free(cflags);
    if (setenv("HCR_LIVE", "1", 1) != 0 || set_preload(library) != 0) {
        fprintf(stderr, "hcr run: cannot set the environment: %s\n", strerror(errno));
        return EXIT_SETUP;
    }

    fflush(NULL);
    execvp(program[0], program);
    int err = errno;
    fprintf(stderr, "hcr run: %s: %s\n", program[0], strerror(err));
    return err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("a command is needed");
    const char *command = argv[1];
    if (strcmp(command, "-h") == 0 || strcmp(command, "--help") == 0 ||
        strcmp(command, "help") == 0) {
        fputs(usage_text, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(command, "--version") == 0) {
        printf("hcr %s\n", HCR_TOOL_VERSION);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(command, "run") == 0)
        return run(argc - 1, argv + 1);
    return usage_error("unknown %s %s", command[0] == '-' ? "option" : "command", command);
}
