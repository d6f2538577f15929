/*
 * work_queue.c: the process's one queue of deferred work (work_queue.h).
 * Owns the list of items and the count of runs in progress, under its own
 * lock; the thread that runs it (the watch thread) is known only by the
 * wake-up it attached, so the queue does not depend on the watcher.
 *
 * Lock order: watch.c's lock, then this file's; nothing here calls out
 * with the lock held except the attached wake-up, which only writes to a
 * descriptor.
 */
#include "work_queue.h"

#include <pthread.h>
#include <stdlib.h>

struct work_item {
    struct work_item *next;
    void (*fn)(void *);
    void *arg;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t done;     /* a run of items finished */
    void (*wake)(void);      /* the attached thread's wake-up; NULL: none */
    struct work_item *items; /* newest first */
    int busy;                /* runs that took items and have not finished */
} Q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0};

void hcr__work_attach(void (*wake)(void))
{
    pthread_mutex_lock(&Q.lock);
    Q.wake = wake;
    pthread_mutex_unlock(&Q.lock);
}

void hcr__work_detach(void)
{
    pthread_mutex_lock(&Q.lock);
    Q.wake = NULL;
    pthread_mutex_unlock(&Q.lock);
}

void hcr__work_run(int (*stop_early)(void))
{
    pthread_mutex_lock(&Q.lock);
    struct work_item *list = Q.items, *reversed = NULL;
    Q.items = NULL;
    Q.busy += list != NULL;
    pthread_mutex_unlock(&Q.lock);
    if (!list)
        return;
    while (list) {
        struct work_item *next = list->next;
        list->next = reversed;
        reversed = list;
        list = next;
    }
    for (int ran = 0; reversed && !(stop_early && ran && stop_early()); ran = 1) {
        struct work_item *next = reversed->next;
        reversed->fn(reversed->arg);
        free(reversed);
        reversed = next;
    }
    pthread_mutex_lock(&Q.lock);
    if (reversed) {
        /* Q.items is newest first: the rest, still oldest first, go to its
           end in reverse. */
        struct work_item **tail = &Q.items;
        while (*tail)
            tail = &(*tail)->next;
        while (reversed) {
            struct work_item *next = reversed->next;
            reversed->next = *tail;
            *tail = reversed;
            reversed = next;
        }
        if (Q.wake)
            Q.wake(); /* come back to them */
    }
    Q.busy--;
    pthread_cond_broadcast(&Q.done);
    pthread_mutex_unlock(&Q.lock);
}

void hcr__work_flush(void)
{
    pthread_mutex_lock(&Q.lock);
    while (Q.wake && (Q.items || Q.busy))
        pthread_cond_wait(&Q.done, &Q.lock);
    pthread_mutex_unlock(&Q.lock);
    hcr__work_run(NULL); /* left over from a thread that detached */
}

void hcr__work_defer(void (*fn)(void *), void *arg)
{
    struct work_item *item = malloc(sizeof *item);
    pthread_mutex_lock(&Q.lock);
    if (item && Q.wake) {
        *item = (struct work_item){Q.items, fn, arg};
        Q.items = item;
        Q.wake();
        pthread_mutex_unlock(&Q.lock);
        return;
    }
    pthread_mutex_unlock(&Q.lock);
    free(item);
    fn(arg);
}
