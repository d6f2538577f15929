/* object_api.c: placeholder for object mode until the linker lands. */
#include "internal.h"

int hcr_object_reload(const char *object_path)
{
    (void)object_path;
    return HCR_ENOSYS;
}

const char *hcr_object_error(void)
{
    return "";
}

int hcr_object_protect(void (*work)(void *arg), void *arg)
{
    work(arg);
    return 0;
}
