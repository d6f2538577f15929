/*
 * hcr.h: hot code reloading for C on Linux.
 *
 * This header is the manual. Sections:
 *   1. Quick start
 *   2. Guest side (plugin mode)
 *   3. Host side (plugin mode)
 *   4. State
 *   5. Crash protection and rollback
 *   6. Errors and logging
 *   7. Threads
 *   8. Instances
 *   9. Object mode
 *  10. Live editing
 *  11. Moving from cr.h
 *
 * ---------------------------------------------------------------------------
 * 1. Quick start
 *
 *   guest.c, built with `cc -shared -fPIC -g guest.c -o guest.so`:
 *
 *       #include <hcr.h>
 *       static int HCR_STATE frames;
 *       HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op) {
 *           if (op == HCR_STEP) printf("frame %d\n", ++frames);
 *           return 0;
 *       }
 *
 *   host.c, built with `cc host.c $(pkg-config --cflags --libs hcr)`:
 *
 *       #include <hcr.h>
 *       int main(void) {
 *           struct hcr_plugin ctx = {0};
 *           if (hcr_plugin_open(&ctx, "./guest.so") < 0) return 1;
 *           while (hcr_plugin_update(&ctx) >= 0 || ctx.failure != HCR_NONE)
 *               usleep(16000);
 *           hcr_plugin_close(&ctx);
 *       }
 *
 *   Rebuild guest.so while the host runs: the next hcr_plugin_update runs
 *   the new code, `frames` keeps counting.
 *
 * ---------------------------------------------------------------------------
 * 2. Guest side
 *
 *   A guest is a shared object that defines hcr_main with HCR_EXPORT (or
 *   the entry point hcr_options.main_name names). The host calls it with:
 *     HCR_LOAD    once after each version is loaded, with the state of
 *                 the version it replaces already in place; and after a
 *                 rollback, with its own state as it was when it was
 *                 replaced and ctx->failure saying why;
 *     HCR_STEP    on every hcr_plugin_update;
 *     HCR_UNLOAD  before a newer version replaces this one;
 *     HCR_CLOSE   once, from hcr_plugin_close.
 *   A negative return means failure, handled as a crash is (section 5),
 *   with ctx->failure HCR_USER.
 *
 * 3. Host side
 *
 *   struct hcr_plugin is zero-initialised by the caller, then opened with
 *   hcr_plugin_open. The library owns every field but `userdata`, which it
 *   never reads or writes. hcr_plugin_update costs no system call while
 *   nothing changed: a background thread watches the plugin's directory
 *   with inotify, and copies, validates and loads a new build before the
 *   host's thread ever sees it. The update then only swaps versions.
 *
 *   Each version runs from a private snapshot copy of the build output in
 *   a directory only this user can read (mode 0700), removed at close, so a
 *   build tool rewriting the output in place never touches running code.
 *   The directory also holds the next copy's file, made ahead with its
 *   pages allocated (at most 64 MB per plugin and 256 MB in a process). A
 *   build of 256 KB or more is copied into it by the kernel, file to file
 *   (sendfile; copy_file_range when the directory is on the build's file
 *   system, which on XFS or btrfs shares the blocks), so its bytes never
 *   pass through the process's memory. A copy that fails (a full disk, a
 *   build cut short) refuses the build with a message naming it, and the
 *   running version goes on. hcr keeps the newest build output open (one
 *   descriptor per plugin, at most 64 in a process) until the next build
 *   is in, so that replacing it does not free it inside the build tool's
 *   rename() while a reload waits.
 *
 *   The copy is the build byte for byte but for two edits that spare the
 *   loader every TLB flush, each of which interrupts every other CPU
 *   running a thread of the process (twice per reload; bench/plugin
 *   measures what that costs): its RELRO segment (the GOT, .data.rel.ro
 *   and the like) is not made read-only after relocation, and its dynamic
 *   section is also placed in read-only padding, where glibc 2.35 and
 *   later read it without writing it (so a guest walking its own _DYNAMIC
 *   finds the entries unrelocated, as on loaders that never write them).
 *   The build output itself is never changed. Set hcr_options.exact_copy
 *   to load the copy as built.
 *
 *   hcr_plugin_step steps the running version and leaves a new build
 *   waiting, for hosts that choose when reloads happen.
 *
 * 4. State
 *
 *   Every writable global and static of the guest (initialised or not,
 *   file statics and function-local statics too) keeps its value across a
 *   reload. Values are matched per variable, by source file and name
 *   (function-local statics by their function too), never by position:
 *     - a new variable gets its initialiser; a removed one is dropped;
 *     - a variable whose initialiser was edited takes the new initialiser;
 *     - a variable still holding its initial value (a pointer to a string
 *       literal, say) takes the new version's initial value, so it points
 *       into the new code, not the old.
 *
 *   Migration. A variable whose type changed between the two builds (as
 *   the debug information of both says: build with -g) is migrated: its
 *   new storage starts from the new initialiser and receives the old
 *   values field by field, by name, wherever they moved:
 *     - fields kept, added (they keep their initialiser), removed
 *       (dropped), reordered; nested structs and arrays of structs element
 *       by element, anonymous members by their order;
 *     - an array that grew keeps its old elements, the new ones their
 *       initialiser; one that shrank keeps what fits;
 *     - integers and bools widen, and narrow (or change signedness) when
 *       the value fits, else the field keeps its initialiser; floating
 *       point likewise, by range; enums by enumerator name (an enumerator
 *       inserted before others keeps their meaning), else by value;
 *       bit-fields by value, wherever they moved and whatever their width;
 *     - unions and types hcr does not look inside only when unchanged:
 *       a union whose members changed is reset to its new initialiser,
 *       since which member holds the value cannot be known; so is a field
 *       whose type changed in kind (an int become a struct);
 *     - pointers are copied, and rebased as below.
 *   One line is logged per migrated variable, naming what was added,
 *   dropped, converted and reset ("pt migrated to its new layout: added:
 *   pt.z"). Without debug information a variable whose size changed is
 *   re-initialised, as is one of two same-named statics of two same-named
 *   files (which cannot be told apart).
 *
 *   Pointers follow the reload. A pointer anywhere in a carried variable
 *   (a plain pointer variable, a field at any depth, an array element, not
 *   inside a union) whose value points into one of the old version's
 *   variables is rewritten to the same place in the new storage: the same
 *   variable, field and element, wherever the migration put them (a
 *   pointer to the start of a struct is taken as pointing at the struct).
 *   One that points at a function of the old version is rewritten to the
 *   new version's function of the same name (a static one: in the same
 *   file). Where the new version has no such place or function, the
 *   pointer keeps its value, which stays valid while the old version is
 *   mapped (two reloads, section 5), and that is logged. Pointers to the
 *   heap, the host and other libraries are left alone, and so are those
 *   into the old version's constants (string literals), which stay valid
 *   while that version is mapped.
 *
 *   HCR_STATE marks a variable that must always keep its value: initialiser
 *   edits are ignored, it is migrated like any other, and a migration that
 *   would lose data (a dropped field or element, a reset union, a value
 *   that does not fit its narrower type) fails the reload with
 *   HCR_STATE_INVALIDATED, a message naming the variable and the field,
 *   and the running version going on; so does a change of its size
 *   without debug information. Variables in a section named .state,
 *   where cr.h's own CR_STATE puts them, are treated alike.
 *   hcr_options.carry narrows what is carried: HCR_CARRY_UNINITIALISED
 *   carries HCR_STATE variables and those without an initialiser, and
 *   starts the others from their initialiser at every load (cr.h's rule,
 *   matched per variable here); HCR_CARRY_NONE carries nothing.
 *   Only the new version's storage is written: the version replaced keeps
 *   its own as it was, for a rollback to resume with (section 5).
 *   Heap data the guest owns migrates through hcr_migrate (below), in its
 *   HCR_LOAD.
 *   A guest built without a symbol table falls back to copying whole
 *   sections when their sizes match, and logs that once.
 *
 * 5. Crash protection and rollback
 *
 *   Every call into the guest runs under a per-thread guard. SIGSEGV,
 *   SIGBUS, SIGILL, SIGFPE, SIGABRT and stack overflow inside the call are
 *   caught and named in ctx->failure; a negative return is a failure too
 *   (HCR_USER). The host goes on. What happens to the version that failed
 *   is chosen by hcr_options.rollback:
 *
 *   HCR_ROLLBACK_ON_FAILURE, the default, is cr.h's rule: any failure of a
 *   version, in HCR_LOAD, HCR_STEP or HCR_UNLOAD, rolls back to the version
 *   it replaced, which resumes with the state it had when it was replaced
 *   (what the failed version did to its own copy of the state is lost).
 *   The failing update does it: the version rolled back to gets HCR_LOAD,
 *   with ctx->failure already naming the failure, ctx->version is its
 *   number when the update returns, and the next update steps it. A
 *   version that failed never runs again. A failure in HCR_UNLOAD, as a new
 *   build replaces the running version, keeps that build: the version
 *   rolled back to steps once, and the update after loads the build with
 *   its state. Should the version rolled back to fail in HCR_LOAD as well,
 *   the rollback goes on to the one it replaced; hcr keeps two versions
 *   before the running one loaded. With none left, ctx->version is 0,
 *   ctx->failure is HCR_INITIAL_FAILURE and the next build is loaded when
 *   it appears.
 *
 *   HCR_ROLLBACK_KEEP_WORKING keeps a version once it has completed a step:
 *   a later failure in its HCR_STEP abandons that call only (the next
 *   update steps the same version, its state as the failed call left it),
 *   and a failure in its HCR_UNLOAD is reported while the new build still
 *   loads, with that state. A version on trial (its HCR_LOAD, and every
 *   call until its first step completes) rolls back as above; only versions
 *   that completed a step are rolled back to.
 *
 *   Under both rules ctx->last_working_version is the version a failure of
 *   the running one would leave running, 0 for none: the version it
 *   replaced, or under HCR_ROLLBACK_KEEP_WORKING the running version itself
 *   once it has completed a step. After a failure the update returns
 *   HCR_ECRASH (a crash) or HCR_EUSER (a negative return), whether in
 *   HCR_STEP or in loading or unloading; hcr_plugin_failed_in_step tells
 *   which. (cr.h's -1 and -2 are the drop-in's, include/hcr/cr.h.)
 *
 *   A crash outside any guest call is the host's own: it goes to the
 *   previous handler or the default action, as if hcr were not there.
 *   Limits: a guest that corrupts the heap, or crashes while holding a
 *   lock (inside malloc, say), leaves that damage behind; protection
 *   recovers control flow, not memory. Rolling back restores the variables
 *   of the guest, not the heap or anything outside it.
 *
 * 6. Errors and logging
 *
 *   Functions return 0 or a negative HCR_E* code; hcr_strerror names it.
 *   hcr_plugin_error(ctx) holds a message naming the file and the problem.
 *   Events are logged through hcr_options.log if set; otherwise one line
 *   per event goes to stderr. An error is reported once per new build.
 *
 * 7. Threads
 *
 *   One plugin may be updated from one thread at a time, any thread. Log
 *   callbacks may run on hcr's own watch thread (errors in a new build are
 *   reported as soon as it is seen, not at the next update).
 *   Different plugins may be updated from different threads at once; a
 *   crash is charged to the plugin whose guest call was running on the
 *   crashing thread. Guest code running on a thread outside any
 *   hcr_plugin_update (a thread the guest started itself) is not guarded.
 *
 * 8. Instances
 *
 *   Every hcr_plugin_open gives an isolated instance with its own copy of
 *   every global and static, even for the same path opened many times.
 *   hcr_plugin_from_address maps a code address to its instance, and
 *   HCR_CALLER() in a host callback names the instance that called it.
 *   Build plugins with `pkg-config --variable=plugin_cflags hcr` so that
 *   calls into the host are never tail calls (see README).
 *
 * 9. Object mode
 *
 *   Link the program with hcr and build its reloadable translation units
 *   with -g and its own flags, by gcc or clang (PIE or -no-pie, CET or
 *   not); `pkg-config --variable=reload_cflags hcr` (CMake: hcr_reloadable)
 *   adds hot-patch pads, which make redirecting cheaper and need no thread
 *   to pause. Without pads, hcr writes a jump over a function's first
 *   bytes while every other thread is paused (signal SIGRTMAX-3); a
 *   function that cannot take it (a loop back to its entry, shorter than
 *   the jump, a breakpoint there) fails the reload with HCR_ENOTSUP naming
 *   it, and one a thread is in a call from fails with HCR_EBUSY until that
 *   call returns. When a .c file changes, compile it to an object and
 *   call hcr_object_reload("file.o"): every function it defines runs the
 *   new code from then on (old function pointers included), and every
 *   global and static keeps its value: the object's variables are the
 *   program's own, matched by source file, function and name, whatever
 *   their visibility (hidden and internal ones included), weak or aliased.
 *   New variables get their initialisers; constructors run only for new
 *   functions. A name the program has but hcr cannot bind fails the
 *   reload (HCR_ENOSYM, naming it); a function of the program's unit that
 *   the object no longer defines is logged as a warning. Each reload logs
 *   one line: functions redirected, variables kept, what is new in the
 *   edit and what it no longer defines. See the README for what the flags
 *   do, how each linkage idiom is bound, and what cannot be reloaded (new
 *   thread-local variables, thread-locals that change size).
 *
 *   A variable whose layout the edit changed (a field added, removed,
 *   reordered or retyped, an array resized: compared in the debug
 *   information of the program, or of the reload that placed it, and of
 *   the object; the same size with fields swapped counts) moves to new
 *   storage in the reloaded object, starting from its new initialiser,
 *   and its value is migrated field by field by the rules of section 4
 *   (unions and opaque types that changed keep the new initialiser); a
 *   pointer into the old storage of a variable that moves is rebased, any
 *   other is copied. One line is logged per variable naming the fields
 *   added, dropped and converted, as a warning when data is lost; object
 *   mode has no HCR_STATE marker, so a loss never refuses. It moves only
 *   when no code the reload leaves in place can reach the old storage
 *   but by naming it: no instruction of the program or of an earlier
 *   reload takes its address (an `lea` that only feeds loads and stores
 *   is an access), no initialised data holds a pointer to it, and for a
 *   global, every unit whose code names it is reloaded in the same
 *   transaction (live editing reloads a change's units together).
 *   Otherwise the reload fails with HCR_ESTATE naming the variable and the
 *   reason, and nothing changes; so does a size change without debug
 *   information. The values move while every other thread is paused,
 *   right before the switch, so no write made by the old code before the
 *   switch is lost (a reload that moves values fails with HCR_EBUSY when a
 *   thread cannot be paused: it blocks the signal, or a debugger holds
 *   it). The old storage is only read: a thread that was inside an old
 *   function finishes that call on it (what it writes then is not seen by
 *   the new code), and a revert after a crash (hcr_object_protect)
 *   resumes the old code on the values it had. A later reload binds to
 *   the new storage.
 *
 *   A static the compiler split into one variable per field (clang -O2,
 *   for a static struct or array whose address is never taken: symbols
 *   `s.0`, `s.2` numbered by position) is bound field by field, never by
 *   those names: each piece of the object is named by the field it holds
 *   (`s.c`, `arr[2].x`, from both versions' debug information) and bound
 *   to what holds that field in the program (its piece, or the whole
 *   variable's bytes when it was not split). A field that kept its type
 *   stays in place, shared with the old code like any unchanged variable;
 *   one whose type changed, or that the old version stored apart, moves
 *   and is migrated as above; one the old version never stored (it was a
 *   constant of the old code) starts from the new initialiser. Where hcr
 *   cannot tell which field a piece holds, the reload fails with
 *   HCR_ESTATE naming the object, the variable and the field.
 *   The translation unit may be in the executable or in a loaded library;
 *   the executable must not be stripped.
 *
 *   One reload at a time (calls from several threads are serialised);
 *   other threads may run the functions being replaced. Reloaded code stays
 *   mapped for the life of the process. The first successful reload
 *   installs hcr's crash handlers (see 5: they chain to the previous ones),
 *   so that a crash in reloaded code is reported with the object that
 *   introduced it.
 *
 *   Reloaded code is visible to gdb (breakpoints by name or file:line, bt,
 *   list, variables; a breakpoint set by name before a reload also stops
 *   in the new code, and deleting it never undoes the reload), to the
 *   unwinder (backtrace(), C++ exceptions) and to perf through
 *   /tmp/perf-PID.map (HCR_PERF_MAP=0 in the environment turns that off).
 *
 * 10. Live editing
 *
 *   `hcr run -- ./prog args...` starts an unmodified program (built with
 *   -g; better, with the reload flags) with hcr loaded, and from then on every saved change
 *   of one of its source files is compiled and reloaded into it. A program
 *   that links hcr can do the same itself: hcr_live_start(NULL) at start.
 *   The units are those of the executable and of the shared libraries
 *   loaded when live editing starts that carry debug information in their
 *   own files, as that debug information names them. hcr finds each unit's compile command in
 *   compile_commands.json (--compile-commands, HCR_COMPILE_COMMANDS, else
 *   beside the executable and in its parent directories, else in the
 *   current directory and its parents; a file listed several times takes
 *   the entry whose object the program was linked from), or failing that
 *   in the debug information; it watches the sources and the headers
 *   they include, compiles a changed unit in the background with its own
 *   command plus the reload flags into a private cache, and reloads it
 *   through object mode. A compile error is printed once and nothing is
 *   reloaded; a failed reload prints hcr's message and keeps the previous
 *   code.
 *
 *   Processes: a forked child keeps live editing (hcr's thread is
 *   restarted in it by fork handlers). The processes running one build of
 *   a program with the same options share one compile of each change,
 *   through a private session directory (mode 0700) under
 *   $XDG_RUNTIME_DIR, else /tmp: one process, the leader, watches,
 *   compiles and publishes each change; the others reload it, in the
 *   order it was made; when the leader ends, another takes over. A
 *   process that starts later first reloads the changes already made.
 *   Under hcr run, the programs the program executes inherit live
 *   editing: one built with the reload flags is live, one whose debug
 *   information names no source of its own is left alone without a word
 *   (quiet_without_units).
 *
 * 11. Moving from cr.h
 *
 *   hcr installs a cr.h of its own (include/hcr/cr.h): a host and guests
 *   written for cr.h build against it unchanged, once that directory is on
 *   the include path in place of cr.h and the host links hcr (`pkg-config
 *   --cflags --libs hcr-cr`, or the CMake target hcr::cr). Its host part
 *   is a thin layer over this API: struct hcr_plugin is laid out as cr.h's
 *   struct cr_plugin and enum hcr_failure has cr.h's values, so the host's
 *   context is the very struct hcr updates and cr.h guests read; the
 *   options main_name and carry give cr.h's entry point and state rule;
 *   hcr_plugin_step and hcr_plugin_failed_in_step give cr_plugin_update's
 *   reload check and return values; hcr_plugin_set_copy_dir gives
 *   cr_set_temporary_path. That header says what differs from cr.h.
 */
#ifndef HCR_H
#define HCR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's own API; everything else in libhcr is hidden. */
#if defined(HCR_BUILDING_LIBRARY)
#define HCR_API __attribute__((visibility("default")))
#else
#define HCR_API
#endif

/* Guest side: export hcr_main from the plugin. */
#ifdef __cplusplus
#define HCR_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define HCR_EXPORT __attribute__((visibility("default")))
#endif

/* Guest side: a variable that always keeps its value across reloads. */
#define HCR_STATE __attribute__((section(".hcr_state"), used))

/* Name of the section HCR_STATE variables live in. */
#define HCR_STATE_SECTION ".hcr_state"

/* ------------------------------------------------------------------------ */
/* Errors. Codes equal -errno where one fits. One table: X(name, value, text) */

#define HCR_ERROR_MAP(X)                                                        \
    X(HCR_EPERM, -1, "operation not permitted")                                 \
    X(HCR_ENOENT, -2, "no such file")                                           \
    X(HCR_EIO, -5, "input/output error")                                        \
    X(HCR_ENOEXEC, -8, "not an ELF file of the expected kind")                  \
    X(HCR_ENOMEM, -12, "out of memory")                                         \
    X(HCR_EACCES, -13, "permission denied")                                     \
    X(HCR_EBUSY, -16, "busy")                                                   \
    X(HCR_EISDIR, -21, "is a directory")                                        \
    X(HCR_EINVAL, -22, "invalid argument")                                      \
    X(HCR_ERANGE, -34, "value out of range")                                    \
    X(HCR_ENOSYS, -38, "not supported on this system")                          \
    X(HCR_ETRUNC, -4001, "file is truncated or incomplete")                     \
    X(HCR_ECORRUPT, -4002, "file is corrupt")                                   \
    X(HCR_EARCH, -4003, "wrong architecture")                                   \
    X(HCR_ENOSYM, -4004, "symbol not found")                                    \
    X(HCR_EDLOPEN, -4005, "the dynamic loader refused the file")               \
    X(HCR_ERELOC, -4006, "unsupported or unresolvable relocation")              \
    X(HCR_ESTATE, -4007, "state cannot be carried to the new version")          \
    X(HCR_ECRASH, -4008, "the code crashed")                                    \
    X(HCR_EFLAGS, -4009, "object was not built with hcr's reload flags")        \
    X(HCR_EUSER, -4010, "the guest reported failure")                           \
    X(HCR_ENOTSUP, -4011, "construct cannot be reloaded")

enum hcr_error {
#define HCR__ERROR_ENUM(name, value, text) name = value,
    HCR_ERROR_MAP(HCR__ERROR_ENUM)
#undef HCR__ERROR_ENUM
};

/* Text for a code: from HCR_ERROR_MAP, else the system's text for a
   -errno hcr passed on (-ENOSPC: "No space left on device"), else
   "unknown error". Never NULL; the string is constant. Any thread. */
HCR_API const char *hcr_strerror(int code);
/* The symbolic name of a code: "HCR_ENOENT", or the system's ("ENOSPC")
   for a passed-on -errno, else "HCR_E?". */
HCR_API const char *hcr_error_name(int code);

/* Logging. */
enum hcr_log_level { HCR_LOG_DEBUG, HCR_LOG_INFO, HCR_LOG_WARN, HCR_LOG_ERROR };
/* A log sink. It is called from the thread that calls into hcr and from
   hcr's watch thread (a refused build is reported when it is read), at the
   same time if it comes to that: a sink that writes shared state locks. */
typedef void (*hcr_log_fn)(enum hcr_log_level level, const char *message, void *user);

/* Process-wide log sink for everything that has no sink of its own
   (object mode, and plugins opened without hcr_options.log). NULL restores
   the default: one line per event on stderr. */
HCR_API void hcr_set_log(hcr_log_fn fn, void *user);

/* ------------------------------------------------------------------------ */
/* Plugin mode */

enum hcr_op { HCR_LOAD = 0, HCR_STEP = 1, HCR_UNLOAD = 2, HCR_CLOSE = 3 };

/* Why a guest call failed. The values are cr.h's cr_failure values, so
   that the cr.h drop-in hands this field to cr.h hosts and guests as it
   is; 5 is cr.h's CR_BOUNDS, a Windows exception, never reported here. */
enum hcr_failure {
    HCR_NONE = 0,
    HCR_SEGFAULT = 1,
    HCR_ILLEGAL = 2,
    HCR_ABORT = 3,
    HCR_MISALIGN = 4,          /* bus error */
    HCR_STACKOVERFLOW = 6,
    HCR_STATE_INVALIDATED = 7, /* an HCR_STATE variable cannot keep its value */
    HCR_BAD_IMAGE = 8,         /* a build was refused (hcr_plugin_error says why) */
    HCR_INITIAL_FAILURE = 9,   /* a failure left no version to run (section 5) */
    HCR_OTHER = 10,
    HCR_FPE = 18,              /* arithmetic fault: cr.h names none, and 18 is
                                  what its rule for other signals, CR_OTHER
                                  plus the signal number, gives SIGFPE */
    HCR_USER = 0x100           /* the guest returned a negative value */
};

enum hcr_safety {
    HCR_SAFETY_GUARDED = 0, /* every guest call runs under crash protection */
    HCR_SAFETY_NONE         /* no protection: a guest crash kills the process */
};

/* What a failure of a version does (section 5). */
enum hcr_rollback {
    HCR_ROLLBACK_ON_FAILURE = 0,  /* any failure rolls back (cr.h's rule) */
    HCR_ROLLBACK_KEEP_WORKING = 1 /* a version that completed a step is kept;
                                     only its failed call is abandoned */
};

/* Which variables a new version takes from the one it replaces (section 4). */
enum hcr_carry {
    HCR_CARRY_ALL = 0,           /* every variable */
    HCR_CARRY_UNINITIALISED = 1, /* HCR_STATE ones and those without an
                                    initialiser; the others start from it
                                    (cr.h's rule) */
    HCR_CARRY_NONE = 2           /* none (cr.h's CR_DISABLE) */
};

/* Options for hcr_plugin_open_with. Zero means default everywhere. */
struct hcr_options {
    const char *copy_dir;   /* parent of the private snapshot directory; default
                               $XDG_RUNTIME_DIR, else /dev/shm, else $TMPDIR,
                               else /tmp */
    enum hcr_safety safety; /* default HCR_SAFETY_GUARDED */
    hcr_log_fn log;         /* default: the process-wide sink (hcr_set_log) */
    void *log_user;
    int no_reload;          /* nonzero: load once and never watch for builds */
    int exact_copy;         /* nonzero: load each copy exactly as built; by
                               default two program headers of the copy are
                               edited for a faster load, see section 3 */
    enum hcr_rollback rollback; /* default HCR_ROLLBACK_ON_FAILURE */
    enum hcr_carry carry;   /* default HCR_CARRY_ALL */
    const char *main_name;  /* the guest's entry point; default "hcr_main" */
};

struct hcr__plugin; /* private */

/* One plugin instance. Zero it, then hcr_plugin_open. Laid out as cr.h's
   struct cr_plugin, field for field (section 11). */
struct hcr_plugin {
    struct hcr__plugin *p;         /* private */
    void *userdata;                /* yours; hcr never touches it */
    unsigned version;              /* version now running (after a rollback,
                                      the one rolled back to); 0: none */
    enum hcr_failure failure;      /* why the last update failed, or HCR_NONE */
    unsigned next_version;         /* number the next build will get */
    unsigned last_working_version; /* what a failure of the running version
                                      would leave running (section 5); 0: none */
};

/* Opens `path` and loads its first version. 0, or a negative HCR_E* code
   with hcr_plugin_error(ctx) naming the file and the problem. A missing or
   broken file still leaves ctx open and watching: the first good build is
   loaded by a later hcr_plugin_update. Only HCR_EINVAL and HCR_ENOMEM
   leave ctx closed. */
HCR_API int hcr_plugin_open(struct hcr_plugin *ctx, const char *path);
HCR_API int hcr_plugin_open_with(struct hcr_plugin *ctx, const char *path,
                                 const struct hcr_options *options);

/* Swaps in a new build if one is ready, then calls the guest with HCR_STEP.
   Returns the guest's return value (0 or more: a negative one is a
   failure), or a negative HCR_E* code, never -1 or -2 by themselves:
   HCR_ECRASH after a crash and HCR_EUSER after a negative return, in
   HCR_STEP, HCR_LOAD or HCR_UNLOAD (ctx->failure says which kind,
   hcr_plugin_failed_in_step whether in a step); HCR_ESTATE when the new
   build's state cannot be carried (an HCR_STATE variable would lose data); a
   refused build's own error (HCR_ENOSYM, HCR_EDLOPEN, HCR_ETRUNC...,
   HCR_ENOMEM when hcr ran out of memory preparing it, or the system's
   code, such as -EMFILE) once, the previous version going on; with no
   version to run, HCR_ENOENT, and ctx->failure stays as the last failure;
   HCR_EINVAL for a context that is not open. */
HCR_API int hcr_plugin_update(struct hcr_plugin *ctx);

/* hcr_plugin_update without taking a new build: steps the running version
   (a failure rolls back as in section 5) and leaves a new build, the first
   version included, waiting for a later hcr_plugin_update. The same return
   values. */
HCR_API int hcr_plugin_step(struct hcr_plugin *ctx);

/* How the newest hcr_plugin_update or hcr_plugin_step of ctx that did not
   end in a successful step went: 1 when the guest's HCR_STEP failed, with
   *result (if not NULL) set to what it returned, -1 for a crash; 0 when no
   step ran (loading, unloading or rolling back failed, a build was
   refused, or there was no version to run). Only meaningful after such an
   update. For hosts that report failures their own way: the cr.h drop-in
   computes cr.h's return values from it. */
HCR_API int hcr_plugin_failed_in_step(const struct hcr_plugin *ctx, int *result);

/* Moves the plugin's private directory under `parent`, in place of the one
   chosen at open (hcr_options.copy_dir): the first version, which open has
   already copied, is copied again there. Only before the first update
   takes a version. 0; HCR_EINVAL; HCR_EBUSY after an update took a
   version; or the error of creating the directory or of copying the build,
   with hcr_plugin_error(ctx) naming it (the plugin stays open either way,
   and a build refused here is reported by the first update as at open). */
HCR_API int hcr_plugin_set_copy_dir(struct hcr_plugin *ctx, const char *parent);

/* Calls the guest with HCR_CLOSE, unloads every version and removes the
   private copies. ctx is zeroed except userdata. */
HCR_API void hcr_plugin_close(struct hcr_plugin *ctx);

/* The message of the newest error or failure of this plugin, or "". For
   a context that is not open (an open that failed and left it closed,
   NULL included), why the calling thread's last open failed. Any thread:
   the text is a copy of the calling thread's, valid until its next call
   of hcr_plugin_error. */
HCR_API const char *hcr_plugin_error(const struct hcr_plugin *ctx);

/* The instance whose code contains `code_address` (any version still
   mapped), or NULL. Async-signal-safe, O(log n) in the instances. */
HCR_API struct hcr_plugin *hcr_plugin_from_address(const void *code_address);

/* For host callbacks: the instance whose code called this function. Use it
   as the first statement of a callback compiled without inlining into its
   callers; see hcr_plugin_caller. */
#define HCR_CALLER() hcr_plugin_caller(__builtin_extract_return_addr(__builtin_return_address(0)))

/* The instance owning `return_address`; if none does, the instance whose
   guest call is running on this thread; else NULL. */
HCR_API struct hcr_plugin *hcr_plugin_caller(const void *return_address);

/* Heap data whose type changed (section 4). Call it from the guest's
   HCR_LOAD of a new version that replaces another: moves `count` objects
   of type `type_name`, laid out one after the other at `old_objects` as
   the version being replaced defined the type, into `count` objects at
   `new_objects` laid out as the calling version defines it. `type_name`
   is the type's C name at file scope: "struct particle", "union u",
   "enum e" or a typedef name. new_objects must hold `count` objects of
   the new size, already holding their starting values (calloc, or your
   initialiser): every field the old layout has overwrites them, by the
   rules of section 4, the others stay; pointers in them into the old
   version's variables and functions are rebased as the guest's own
   variables are. Both versions need debug information (-g).
   Returns 1 when the layout changed (the new objects are migrated), 0
   when it is the same (they are copied), or a negative code with
   hcr_plugin_error(ctx) saying why: HCR_EINVAL outside such an HCR_LOAD
   (the first version's, a rollback's) or for a NULL argument, HCR_ENOENT
   when a version's debug information has no such type, HCR_ENOMEM. It
   never frees or changes the old objects: free them yourself, once you
   no longer need them (the heap is not rolled back, section 5). In full:

       case HCR_LOAD:
           if (particles) {
               struct particle *moved = calloc(count, sizeof *moved);
               if (moved && hcr_migrate(ctx, "struct particle", particles, count, moved) >= 0) {
                   retired = particles;   (freed in the first HCR_STEP: a rollback
                   particles = moved;      before it resumes with the old array)
               } else {
                   free(moved);
               }
           }
*/
HCR_API int hcr_migrate(struct hcr_plugin *ctx, const char *type_name, const void *old_objects,
                        size_t count, void *new_objects);

/* ------------------------------------------------------------------------ */
/* Object mode */

/* Links a freshly compiled relocatable object of a translation unit that is
   part of the running program into the process, and redirects every
   function it defines to the new code. 0, or a negative HCR_E* code with
   hcr_object_error() naming the object, the symbol and the problem; on
   failure nothing changed. */
HCR_API int hcr_object_reload(const char *object_path);

/* The message of the newest failed object-mode call, or "". Any thread:
   the text is the calling thread's copy, valid until its next call. */
HCR_API const char *hcr_object_error(void);

/* Runs work(arg) under crash protection. A crash inside reloaded code
   reverts the reload that introduced that code (and every newer one), logs
   it and returns HCR_ECRASH; the program goes on with the previous code.
   A crash elsewhere (in libc, called by new code) reverts the reloads made
   since a protected unit last completed, if any: until then they are
   untried. hcr_object_error() says what was reverted. Otherwise returns 0.
   What the crashing code wrote stays written. */
HCR_API int hcr_object_protect(void (*work)(void *arg), void *arg);

/* ------------------------------------------------------------------------ */
/* Live editing */

/* When a compiled change is reloaded. */
enum hcr_live_when {
    HCR_LIVE_AT_ONCE = 0, /* as soon as its compile is done (default) */
    HCR_LIVE_AT_POLL = 1  /* only inside hcr_live_poll(), a safe point the
                             program chooses */
};

/* One reload done (or refused) by live editing, for the callbacks. A
   reload is one change: every unit one save touched (a header edit
   touches each unit that includes it), reloaded together or not at all. */
struct hcr_live_event {
    const char *source;   /* the first unit's source file */
    const char *object;   /* the object compiled from it */
    int status;           /* after: 0 or the reload's HCR_E* code */
    double compile_ms;    /* how long the longest compile of the change took */
    double reload_ms;     /* after: how long the reload took */
    size_t units;         /* how many units the change reloads (>= 1) */
    const char *const *sources; /* their sources, `units` of them */
    const char *const *objects; /* and their objects */
};

/* Options; zero-initialised means every default. */
struct hcr_live_options {
    const char *compile_commands; /* compile_commands.json; NULL: search
                                     (HCR_COMPILE_COMMANDS, then beside the
                                     executable and up, then the current
                                     directory and up, then debug info) */
    const char *extra_cflags;     /* appended to every compile, split at
                                     spaces; NULL: none */
    hcr_log_fn log;               /* NULL: the process-wide sink */
    void *log_user;
    /* Called on the thread that reloads, without hcr's locks held. */
    void (*before_reload)(const struct hcr_live_event *event, void *user);
    void (*after_reload)(const struct hcr_live_event *event, void *user);
    void *callback_user;
    enum hcr_live_when when;
    /* Nonzero: in a program whose debug information names no C source of
       its own (/bin/sh, make), end live editing without a word instead of
       saying there is nothing to watch. hcr run sets it in the programs
       its program starts. */
    int quiet_without_units;
};

/* Starts live editing of the running program and returns at once:
   discovery, watching and compiling happen on a thread of hcr's, and what
   they find (no compile commands, no sources) is logged. 0, HCR_EBUSY when
   already started, or HCR_ENOMEM. */
HCR_API int hcr_live_start(const struct hcr_live_options *options);

/* Stops watching and compiling; a compile in progress is killed. Code
   already reloaded stays. Not from a reload callback (which runs on the
   thread this waits for): logged and ignored there. */
HCR_API void hcr_live_stop(void);

/* With HCR_LIVE_AT_POLL: reloads every change compiled since the last
   call, on the calling thread, each as one transaction. Returns how many
   changes were reloaded, or a negative HCR_E* code of the first that
   failed. With HCR_LIVE_AT_ONCE,
   or when live editing is not started, returns 0 at once. */
HCR_API int hcr_live_poll(void);

#ifdef __cplusplus
}
#endif

#endif /* HCR_H */
