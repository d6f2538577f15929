/*
 * child.h: drives a program through pipes for the end-to-end tests: its
 * stdin written line by line, its stdout read line by line, its stderr
 * collected whole. Every wait has a deadline and ends at a checkpoint (a
 * line appearing); none is a fixed sleep. A failing check prints what the
 * program wrote on stdout and stderr.
 */
#ifndef HCR_E2E_CHILD_H
#define HCR_E2E_CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct child {
    pid_t pid;
    int in, out, err;    /* pipe ends; -1 once closed */
    char *out_text;      /* all of stdout so far */
    size_t out_len, out_read; /* out_read: start of the first line not returned */
    char *err_text;      /* all of stderr so far */
    size_t err_len;
    char line[1024];     /* the line child_read_line returned */
    int status;          /* from waitpid, once exited */
    int exited;
};

/* Starts argv[0] (looked up in PATH) with pipes for its three streams. */
void child_start(struct child *c, char *const argv[]);

/* Writes one line (printf format, newline added) to its stdin. */
void child_send(struct child *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Closes its stdin: the program sees end of input. */
void child_close_stdin(struct child *c);

/* The next stdout line (without its newline), waiting up to timeout_ms;
   fails the test on timeout or end of output. */
const char *child_read_line(struct child *c, int timeout_ms);

/* Sends `command` and returns its one reply line. */
const char *child_ask(struct child *c, const char *command, int timeout_ms);

/* Sends `command` again and again until its reply contains `needle`, and
   returns that reply; fails the test after timeout_ms. */
const char *child_ask_until(struct child *c, const char *command, const char *needle,
                            int timeout_ms);

/* Waits until stderr, from byte `from` on, holds a line containing every
   one of the NULL-terminated needles; returns the offset just past that
   line. Fails the test after timeout_ms. */
size_t child_wait_stderr(struct child *c, size_t from, int timeout_ms, ...)
    __attribute__((sentinel));

/* Number of stderr lines, from byte `from` on, holding every needle. */
int child_count_stderr(struct child *c, size_t from, ...) __attribute__((sentinel));

/* Waits until the program watches `path` (a file or directory) with
   inotify, as /proc/PID/fdinfo shows; fails the test after timeout_ms. */
void child_wait_inotify(struct child *c, const char *path, int timeout_ms);

/* The same for process `pid`, another process the program started. */
void child_wait_inotify_of(struct child *c, pid_t pid, const char *path, int timeout_ms);

/* Makes child_send (and child_ask...) write to `fd` instead of the
   program's stdin (a named pipe another of its processes reads); returns
   the descriptor used before. */
int child_use_input(struct child *c, int fd);

/* Reads whatever the program wrote within `ms` milliseconds. */
void child_pump(struct child *c, int ms);

/* Waits for the program to end (reading its output meanwhile) and returns
   its wait status; fails the test after timeout_ms. */
int child_wait(struct child *c, int timeout_ms);

/* Fails the test with a message, followed by the program's stdout and
   stderr. */
void child_fail(struct child *c, const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

#define CHILD_FAIL(c, ...) child_fail((c), __FILE__, __LINE__, __VA_ARGS__)

/* Fails the test, showing the program's output, when `reply` lacks `needle`. */
#define CHILD_CHECK_HAS(c, reply, needle)                                                   \
    do {                                                                                    \
        const char *e2e_r_ = (reply), *e2e_n_ = (needle);                                   \
        if (!strstr(e2e_r_, e2e_n_))                                                        \
            CHILD_FAIL((c), "%s does not contain \"%s\": \"%s\"", #reply, e2e_n_, e2e_r_);  \
    } while (0)

#endif
