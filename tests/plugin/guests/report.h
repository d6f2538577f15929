/* report.h: what test guests write into ctx->userdata on every call, so a
   test can see the guest's variables without reaching into its image. */
#ifndef HCR_TEST_REPORT_H
#define HCR_TEST_REPORT_H

struct guest_report {
    int version;        /* VERSION the guest was built with */
    int loads, unloads, closes, steps;
    int pinned;         /* an HCR_STATE counter */
    int global_counter; /* a global in .bss */
    int initialised;    /* a file static with an initialiser */
    int local_calls;    /* a function-local static */
    int first, second;  /* two globals whose order/initialisers change */
    long sized;         /* a variable whose size changes between builds */
    const char *greeting; /* a pointer into the guest's read-only data */
    int extra;          /* a variable some builds add */
    int extra_calls;    /* a function-local static some builds add */
    int refuse_load_of; /* set by a test: a guest built with this VERSION
                           returns -3 from HCR_LOAD */
    long long pinned_resizable; /* an HCR_STATE variable whose size changes */
};

#endif
