#include <hcr.h>
#include <string.h>
int main(void) { return strcmp(hcr_strerror(HCR_ENOENT), "no such file") != 0; }
