/* linkage.c: an edit that changes linkage. The edit makes the global
   function and variable static and the static ones global; users.c keeps
   calling and reading them through what it linked against. */
/* No idioms.h: the edit gives its names another linkage than users.c sees. */

#ifndef HCR_EDIT
int made_static_count = 5;
int made_static_fn(int x) { return x + made_static_count; }
static int made_global_count = 50;
static int made_global_fn(int x) { return x + made_global_count; }
int linkage_bump(void) { return made_global_fn(++made_static_count) + ++made_global_count; }
int linkage_made_global_count(void) { return made_global_count; }
#else
static int made_static_count = 5;
/* Not inlined or cloned: a static function inlined into (or specialised
   as foo.constprop.0 for) every caller of its file
   has no copy of its own to redirect the program's callers to (README). */
__attribute__((noipa)) static int made_static_fn(int x) { return 1000 * x + made_static_count; }
int made_global_count = 50;
int made_global_fn(int x) { return 2000 * x + made_global_count; }
int linkage_bump(void)
{
    made_static_count += 100;
    made_global_count += 100;
    return made_static_fn(1) + made_global_fn(1);
}
int linkage_made_global_count(void) { return made_global_count; }
#endif
