/*
 * prepare.c: the watch thread's half of plugin mode. When the build
 * output changes, prepare_build copies it into the private directory and
 * loads it as the next version (version.c), then publishes it in
 * `pending` with one atomic exchange for the host's next update; a build
 * that cannot be used is published as its error, once. The spare of the
 * next build is made here too, off the host's thread. Everything here
 * runs under the plugin's prepare_lock; on the watch thread it never
 * writes what the host's thread owns (p->message, the context). The first
 * version is prepared the same way, on the host's thread, during open.
 */
#include "plugin_internal.h"

#include "watch.h"
#include "work_queue.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int same_file(const struct hcr__file_id *a, const struct hcr__file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* Prepares the build now in place and publishes it, or its error. `quiet`:
   the file may legitimately be incomplete (created, not yet closed), so a
   failure says nothing. prepare_lock held. Returns 1 when it published a
   loaded version, 0 when it published an error or there was nothing new,
   HCR_ENOMEM when no version could be made (the build is not marked as
   prepared: the next event, or the next open, tries it again). */
static int prepare_build(struct hcr__plugin *p, int quiet)
{
    struct stat st = {0};
    if (stat(p->path, &st) != 0 && quiet)
        return 0;
    struct hcr__file_id id = {st.st_dev, st.st_ino, st.st_size,
                              (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                              (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec};
    /* The very file already prepared (an event that was queued before it),
       or an attribute change of it with no byte written since (`cp -p`
       setting the time, `touch`): no new build. */
    if (st.st_ino && same_file(&id, &p->last_prepared))
        return 0;
    if (quiet && !p->modified && st.st_dev == p->last_prepared.dev &&
        st.st_ino == p->last_prepared.ino)
        return 0;
    struct hcr__version *v = hcr__version_prepare(p, p->next_number);
    if (!v) {
        /* Logged only: on the watch thread p->message is the host's. */
        hcr__log(&p->log, HCR_LOG_ERROR, "%s: out of memory preparing a new version", p->path);
        return HCR_ENOMEM;
    }
    p->modified = 0;
    p->last_prepared = id;
    /* What the copy read, which may be newer than what stat saw: a file
       created empty and written before the copy opened it. The event of
       that write's close must find this build already prepared. */
    if (v->snapshot.source.ino)
        p->last_prepared = v->snapshot.source;
    if (v->error) {
        int repeated = v->error == p->last_failed_error && same_file(&v->snapshot.source, &p->last_failed);
        if (quiet || repeated) {
            hcr__version_destroy(v); /* on the watch thread already */
            return 0;
        }
        p->last_failed = v->snapshot.source;
        p->last_failed_error = v->error;
        hcr__log(&p->log, HCR_LOG_ERROR, "%s (the previous version keeps running)", v->message.text);
    } else {
        p->last_failed_error = 0;
        p->next_number++; /* ctx->next_version follows on the host's thread */
    }
    int source_fd = v->snapshot.source_fd; /* v is the host's once published */
    v->snapshot.source_fd = -1;
    atomic_store(&p->unprepared, 0); /* this build supersedes one not prepared */
    struct hcr__version *replaced = atomic_exchange(&p->pending, v);
    atomic_store(&p->step_fn, NULL); /* the host's next update looks (refresh_step_fn) */
    hcr__version_retire(replaced); /* never seen by the host */
    /* The previous build output is closed now, after the publication:
       freeing it, if it was replaced, no longer delays this version. */
    hcr__source_hold(&p->held_source, source_fd);
    return !v->error;
}

/* After a version was published: the next build's copy gets its file
   ready, sized like this build, while the host swaps this one. Takes
   prepare_lock. */
static void prepare_spare(void *plugin)
{
    struct hcr__plugin *p = plugin;
    if (atomic_load(&p->closing))
        return;
    pthread_mutex_lock(&p->prepare_lock);
    char *path = hcr__version_copy_path(p, p->next_number);
    if (path)
        hcr__spare_prepare(&p->spare, path, (off_t)p->last_prepared.size);
    free(path);
    pthread_mutex_unlock(&p->prepare_lock);
}

void hcr__plugin_on_file_event(void *user, unsigned events)
{
    struct hcr__plugin *p = user;
    pthread_mutex_lock(&p->prepare_lock);
    if (events & HCR__WATCH_MODIFIED)
        p->modified = 1;
    int quiet = !(events & (HCR__WATCH_COMPLETE | HCR__WATCH_RESCAN));
    int rc = events & (HCR__WATCH_COMPLETE | HCR__WATCH_MAYBE | HCR__WATCH_RESCAN)
                 ? prepare_build(p, quiet)
                 : 0;
    if (rc == HCR_ENOMEM && !quiet) {
        /* No version to carry the error: the host's next update reports
           it from here, as it would a refused build (swap.c). */
        atomic_store(&p->unprepared, HCR_ENOMEM);
        atomic_store(&p->step_fn, NULL);
    }
    pthread_mutex_unlock(&p->prepare_lock);
    if (rc > 0)
        prepare_spare(p);
}

/* Prepares the build in place as the first version and publishes it; the
   first update starts it. 0, or the build's error with the message and
   ctx->failure set (the version published carries the error, for that
   update to report). The next build's spare is made by the watch thread. */
int hcr__plugin_prepare_first(struct hcr__plugin *p)
{
    pthread_mutex_lock(&p->prepare_lock);
    int published = prepare_build(p, 0);
    struct hcr__version *first = atomic_load(&p->pending);
    int rc = published < 0 ? published : first && first->error ? first->error : 0;
    if (published < 0)
        hcr__fail(&p->message, published, "%s: out of memory preparing its first version",
                  p->path);
    if (rc < 0 && published >= 0) {
        p->message = first->message;
        p->ctx->failure = HCR_BAD_IMAGE;
    }
    pthread_mutex_unlock(&p->prepare_lock);
    if (published > 0 && p->watch)
        hcr__work_defer(prepare_spare, p);
    return rc;
}
