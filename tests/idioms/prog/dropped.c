/* dropped.c: an edit that removes one global function and makes another
   static, inlined into its only caller in the file. The object defines
   neither out of line, so callers in other files keep their old code: the
   reload must say so, naming both. */
#ifndef HCR_EDIT
int dropped_gone(void) { return 1; }
int dropped_inlined(int x) { return x + 1; }
int dropped_use(void) { return dropped_inlined(10); }
#else
__attribute__((always_inline)) static inline int dropped_inlined(int x) { return x + 500; }
int dropped_use(void) { return dropped_inlined(10); }
#endif
