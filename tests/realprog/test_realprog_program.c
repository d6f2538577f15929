/*
 * test_realprog_program.c: rp (prog/), the program the reload test of
 * test_realprog.c reloads, on its own, built as that test builds it: its
 * scripts print what they should (arithmetic, strings, lists, maps,
 * closures, errors with their lines), every file's probe prints its text
 * as built, the golden script prints its text, globals survive the
 * garbage collector, and two worker threads evaluate scripts at once.
 * What the reload test compares with holds before any reload.
 */
#include "harness.h"
#include "realprog.h"
#include "rp.h"

#include <stdatomic.h>

/* ------------------------------------------------------------------------ */
/* The program on its own, without reloads. */

struct case_ {
    const char *script;
    const char *expected;
};

static const struct case_ cases[] = {
    {"print(1 + 2 * 3, (1 + 2) * 3, 7 / 2, 6 / 3, 7 % 3, -7 % 3, 2 ** 0);",
     "error: SyntaxError: expected an expression, found '*' (line 1)\n"},
    {"print(1 + 2 * 3, (1 + 2) * 3, 7 / 2, 6 / 3, 7 % 3, 2.5 * 2, \"ab\" * 3);",
     "7 9 3.5 2 1 5.0 ababab\n"},
    {"print(9223372036854775807 + 1, 1e308 * 10, 0.1 + 0.2, 1 / 3);",
     "9.2233720368547758e+18 inf 0.30000000000000004 0.33333333333333331\n"},
    {"fn fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); } print(fib(20));",
     "6765\n"},
    {"let t = 0; for (i in range(1, 101)) { t += i; } print(t);", "5050\n"},
    {"let s = \"\"; for (c in \"abc\") { s = upper(c) + s; } print(s, len(s), s[0], s[-1]);",
     "CBA 3 C A\n"},
    {"let m = {\"a\": 1}; m.b = 2; m[\"c\"] = 3; m.a += 10; del(m, \"b\"); m.b = 4;"
     " print(m, keys(m), len(m));",
     "{\"a\": 11, \"c\": 3, \"b\": 4} [\"a\", \"c\", \"b\"] 3\n"},
    {"let l = [3, 1, 2]; push(l, 0, 5); print(sorted(l), pop(l), l, l[-1], index(l, 2));",
     "[0, 1, 2, 3, 5] 5 [3, 1, 2, 0] 0 2\n"},
    {"print(sorted([\"pear\", \"fig\", \"apple\"]), sorted([3, 1, 2], fn(x) { return -x; }));",
     "[\"apple\", \"fig\", \"pear\"] [3, 2, 1]\n"},
    {"let i = 0; while (true) { i += 1; if (i > 6) { break; } if (i % 2 == 0) { continue; }"
     " write(i, \"\"); } print();",
     "1 3 5 \n"},
    {"for (x in [1, 2, 3, 4]) { let y = x * 10; if (x == 3) { break; } write(y); } print(\"!\");",
     "1020!\n"},
    {"print(1 and 2, nil and 1, nil or 3, false or nil, not 1, !nil, 1 == 1.0, [1] == [1]);",
     "2 nil 3 nil false true true true\n"},
    {"print(format(\"{}+{}={}\", 1, 2, 3), split(\"a,b,,c\", \",\"), join([1, 2], \"-\"),"
     " trim(\" x \"), replace(\"a-b\", \"-\", \"+\"), find(\"hello\", \"ll\"));",
     "1+2=3 [\"a\", \"b\", \"\", \"c\"] 1-2 x a+b 2\n"},
    {"print(map([1, 2, 3], fn(x) { return x * x; }), filter(range(8), fn(x) { return x % 2; }),"
     " reduce([1, 2, 3, 4], fn(a, b) { return a * b; }, 1));",
     "[1, 4, 9] [0, 1, 2, 3, 4, 5, 6, 7] 24\n"},
    {"print(type(1), type(1.5), type(\"s\"), type([]), type({}), type(print), type(nil),"
     " type(fn() {}));",
     "int float string list map builtin nil function\n"},
    {"print(repr(\"q\\\"\\n\"), str(1.0), int(\"42\"), float(\"2.5\"), abs(-3), min(4, 2, 8),"
     " max([1, 9]), sqrt(16), floor(-2.5), round(2.5), gcd(12, 18), clamp(15, 0, 10));",
     "\"q\\\"\\n\" 1.0 42 2.5 3 2 9 4.0 -3 3 6 10\n"},
    {"print(0x1f, 0b101, 1_000, 1.5e3, 'single', ord(\"A\"), chr(66), 3 > 2, \"a\" < \"b\");",
     "31 5 1000 1500.0 single 65 B true true\n"},
    {"print(ast(\"let y = -z; f(1)[2].k = 3;\"));",
     "(program (let y (neg z)) (= (. (index (call f 1) 2) k) 3))\n"},
    {"fn f(a) {} f();", "error: ArityError: f() takes 1 argument, not 0 (line 1)\n"},
    {"fn f(n) { return f(n + 1); } f(0);",
     "error: StackOverflow: too many nested calls (in f) (line 1)\n"},
    {"x = 1;", "error: NameError: assignment to undefined variable 'x' (use let) (line 1)\n"},
    {"print(\"a\" + 1);",
     "error: TypeError: unsupported operand types for +: string and int (line 1)\n"},
    {"print(1);\nprint(\n\"unterminated);", "error: SyntaxError: unterminated string (line 3)\n"},
    {"print(2);\nassert(1 == 2, \"math\");", "2\nerror: AssertionError: math (line 2)\n"},
    {"{ let y = 1; let y = 2; }",
     "error: SyntaxError: 'y' is already defined in this block (line 1)\n"},
    {"let m = {}; m[[1]] = 2;", "error: TypeError: unhashable key of type list (line 1)\n"},
    {"print(5[0]);", "error: TypeError: int is not indexable (line 1)\n"},
    {"print(len(5));", "error: TypeError: int has no length (line 1)\n"},
    {"print(@);", "error: SyntaxError: unexpected character '@' (line 1)\n"},
    {"fn o() { let v = 1; fn i() { return 2; } return i() + v; } print(o());", "3\n"},
    {"print(shared_add(\"t\", 2), shared_add(\"t\", 3), shared_get(\"t\"), shared_get(\"u\"));",
     "2 5 5 0\n"},
};

TEST(the_program_works_without_reloads)
{
    char out[4096];
    main_thread = pthread_self();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rp_eval(cases[i].script, out, sizeof out);
        if (strcmp(out, cases[i].expected) != 0)
            harness_fail(__FILE__, __LINE__, "%s\nprinted \"%s\", expected \"%s\"",
                         cases[i].script, out, cases[i].expected);
    }
    for (int i = 0; i < NFILES; i++) {
        run_probe(&probes[i], out, sizeof out);
        if (strcmp(out, probes[i].before) != 0)
            harness_fail(__FILE__, __LINE__, "probe of %s printed \"%s\", expected \"%s\"",
                         probes[i].file, out, probes[i].before);
    }
    CHECK_EQ(rp_eval(golden_script, out, sizeof out), 0);
    CHECK(strcmp(out, golden_expected) == 0);
    /* Globals and functions outlive an evaluation, across collections. */
    CHECK_EQ(rp_eval("let keep = [1, 2, 3]; fn k() { return sum(keep); }", out, sizeof out), 0);
    for (int i = 0; i < 3000; i++)
        rp_eval("let junk = []; for (i in range(100)) { push(junk, str(i) + \"x\"); }", out,
                sizeof out);
    CHECK(rp_stat("collections") >= 1);
    CHECK_EQ(rp_eval("print(k(), keep);", out, sizeof out), 0);
    CHECK(strcmp(out, "6 [1, 2, 3]\n") == 0);
    /* Two threads at once. */
    start_workers();
    long target = atomic_load(&workers[0].progress) + 200;
    double deadline = now() + harness_scale(60);
    while ((atomic_load(&workers[0].progress) < target ||
            atomic_load(&workers[1].progress) < target) &&
           now() < deadline)
        harness_sleep_ms(1);
    stop_and_check_workers();
    CHECK_EQ(failures, 0);
    CHECK(atomic_load(&workers[1].progress) >= target);
    CHECK_EQ(rp_eval("print(shared_get(\"w0\") > 0, shared_get(\"w1\") > 0);", out, sizeof out),
             0);
    CHECK(strcmp(out, "true true\n") == 0);
}

