/*
 * debug.c: hcr__debug_register and hcr__debug_unregister, combining the
 * gdb, perf and unwinder registrations (see debug.h). gdb and the unwinder
 * are registered or nothing is; the perf map is best effort. Live images
 * are kept in a list: reloaded code usually stays registered for the life
 * of the process, and the list keeps what describes it reachable.
 */
#include "object/debug_parts.h"

#include <pthread.h>
#include <stdlib.h>

struct hcr__debug_image {
    struct hcr__jit_code_entry *gdb;
    struct hcr__debug_frames *frames; /* NULL when the object has no .eh_frame */
    struct hcr__debug_image *prev, *next;
};

static pthread_mutex_t images_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hcr__debug_image *images;

struct hcr__debug_image *hcr__debug_register(const char *object_path, const struct hcr__elf *elf,
                                             const uintptr_t *section_address,
                                             const struct hcr__debug_function *functions,
                                             size_t count, const void *eh_frame,
                                             size_t eh_frame_size, void *file,
                                             struct hcr__message *msg)
{
    struct hcr__debug_image *image = calloc(1, sizeof *image);
    if (!image) {
        hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", object_path);
        return NULL;
    }
    if (eh_frame && eh_frame_size) {
        image->frames = hcr__debug_frames_register(object_path, eh_frame, eh_frame_size, msg);
        if (!image->frames)
            goto fail;
    }
    image->gdb = hcr__debug_gdb_add(object_path, elf, section_address, file, msg);
    if (!image->gdb)
        goto fail;
    struct hcr__message perf_msg;
    if (hcr__debug_perf_write(functions, count, &perf_msg) < 0)
        hcr__log(NULL, HCR_LOG_WARN, "%s: perf map not written: %s", object_path, perf_msg.text);
    pthread_mutex_lock(&images_lock);
    image->next = images;
    if (images)
        images->prev = image;
    images = image;
    pthread_mutex_unlock(&images_lock);
    return image;
fail:
    hcr__debug_frames_unregister(image->frames);
    free(image);
    return NULL;
}

void hcr__debug_unregister(struct hcr__debug_image *image)
{
    if (!image)
        return;
    pthread_mutex_lock(&images_lock);
    if (image->prev)
        image->prev->next = image->next;
    else
        images = image->next;
    if (image->next)
        image->next->prev = image->prev;
    pthread_mutex_unlock(&images_lock);
    hcr__debug_gdb_remove(image->gdb);
    hcr__debug_frames_unregister(image->frames);
    free(image);
}
