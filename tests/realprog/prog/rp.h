/*
 * rp.h: the public interface of rp, a small embeddable scripting language
 * (lexer, parser, constant folder, bytecode compiler, a virtual machine with
 * a computed-goto dispatch loop, a garbage-collected heap of strings, lists,
 * maps and functions, and a library of built-ins).
 *
 * Every function here may be called from any number of threads: one
 * interpreter is shared by the whole process and a lock serialises the
 * evaluations. Globals defined by one evaluation stay defined for the next.
 */
#ifndef RP_H
#define RP_H

#include <stddef.h>

/* Sets the interpreter up (built-ins, globals). Idempotent; rp_eval calls it
   itself. Returns 0. */
int rp_init(void);

/* Compiles and runs src. What the script printed goes to out (always
   terminated, truncated to cap). On a script error the message is appended
   as "error: Kind: message (line N)\n" and -1 is returned; otherwise 0. */
int rp_eval(const char *src, char *out, size_t cap);

/* A named statistic of the interpreter: "evals", "steps", "allocs",
   "collections", "strings", "objects", "errors", "calls.<module>".
   -1 for an unknown name. */
long rp_stat(const char *name);

/* The message of the newest error rp_eval reported on the calling thread,
   or "". */
const char *rp_last_error(void);

/* Receives every trace line (see the built-ins trace and tracemsg). The
   library's default definition is weak and writes to stderr; a program may
   define its own. */
void rp_trace_hook(const char *line);

#endif
