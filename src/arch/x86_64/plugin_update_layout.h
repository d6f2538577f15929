/*
 * plugin_update_layout.h (x86-64): the field offsets that the assembly
 * hcr_plugin_update (plugin_update.S, beside this file) reads. Plain
 * numbers so that assembly can include them. They are the offsets of the
 * C structs under this machine's ABI: a directory with a plugin_update.S
 * provides this file with the same names (src/arch/README), and
 * src/plugin/plugin.c checks every one against offsetof at compile time,
 * so a change of either struct fails the build instead of the program.
 */
#ifndef HCR_ARCH_PLUGIN_UPDATE_LAYOUT_H
#define HCR_ARCH_PLUGIN_UPDATE_LAYOUT_H

/* struct hcr_plugin (include/hcr.h) */
#define HCR__CTX_P 0
#define HCR__CTX_FAILURE 20

/* struct hcr__plugin (plugin_internal.h) */
#define HCR__P_STEP_FN 64
#define HCR__P_FRAME 80

/* struct hcr__guard (guard.h), relative to the frame */
#define HCR__GUARD_RESUME_SP 0
#define HCR__GUARD_RESUME_PC 8
#define HCR__GUARD_OUTER 16

/* enum hcr_op */
#define HCR__OP_STEP 1

#endif
