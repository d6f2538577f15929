/* hidlib.h: the API of hidlib, a shared library (idioms 14 and 3) built
   with -fvisibility=hidden: only what this header marks is exported. */
#ifndef HCR_TEST_IDIOMS_HIDLIB_H
#define HCR_TEST_IDIOMS_HIDLIB_H

#define HIDLIB_API __attribute__((visibility("default")))
/* Protected inside the library (hidlib_internal.h defines HIDLIB_BUILDING):
   exported, but hidlib's own references bind to hidlib's copy. */
#ifdef HIDLIB_BUILDING
#define HIDLIB_PROTECTED __attribute__((visibility("protected")))
#else
#define HIDLIB_PROTECTED HIDLIB_API
#endif

/* hidlib.c */
HIDLIB_API int hidlib_api(int x);
HIDLIB_API int hidlib_api_calls(void);
HIDLIB_API int hidlib_prot_bump(void);
HIDLIB_PROTECTED int hidlib_prot_step(void);

/* hidlib_peer.c, never reloaded */
HIDLIB_API int hidlib_peer_total(void);
HIDLIB_API int hidlib_peer_scale(int x);
HIDLIB_API int hidlib_peer_prot_value(void);
HIDLIB_API int hidlib_peer_prot_step(void);

#endif
