#include <hcr.h>
HCR_EXPORT int hcr_main(struct hcr_plugin *ctx, enum hcr_op op) { (void)ctx; return op; }
