/*
 * live_record.c: the record of one published change (see live.h, "shared
 * compiles"). The process that compiles for every process of a program
 * writes one record per change into the session's records directory; the
 * others read it and reload its objects, in the record's order. A record
 * is a small text file, written under a temporary name and renamed into
 * place, so a reader sees the whole record or none:
 *
 *   hcr-live-change 1
 *   object NAME MS SOURCE      one line per object, in reload order: the
 *                              object's file name in the objects directory,
 *                              its compile time in ms, the unit's source
 *                              (absolute; the rest of the line)
 *   end
 *
 * The session directory is private (mode 0700, ours), but a record is
 * still checked line by line before anything is reloaded from it: a
 * record hcr did not write is refused with the file and the line named.
 */
#include "live/live.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_MAGIC "hcr-live-change 1"
#define RECORD_MAX_BYTES ((size_t)1 << 20)
#define MAX_COMPILE_MS 1e9 /* eleven days: anything above is not a time */

void hcr__live_objects_free(struct hcr__live_object *objects, size_t n)
{
    for (size_t i = 0; objects && i < n; i++) {
        free((char *)objects[i].source);
        free((char *)objects[i].object);
    }
    free(objects);
}

/* Whether `name` can be an object's file name in the objects directory:
   one plain component, no leading dot (temporary files), printable and
   without spaces (the record splits at them). */
static int object_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX || name[0] == '.')
        return 0;
    for (const char *p = name; *p; p++)
        if (*p == '/' || (unsigned char)*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

/* Whether `path` can be a source in a record: absolute, shorter than
   PATH_MAX, no control character (a newline would end the line). */
static int source_ok(const char *path)
{
    if (path[0] != '/' || strlen(path) >= PATH_MAX)
        return 0;
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return 0;
    return 1;
}

int hcr__live_record_format(const struct hcr__live_object *objects, size_t n,
                            const char *const *names, char **text, struct hcr__message *msg)
{
    *text = NULL;
    if (n == 0 || n > HCR__LIVE_RECORD_MAX_OBJECTS)
        return hcr__fail(msg, HCR_EINVAL, "a change of %zu objects cannot be recorded (1 to %d)",
                         n, HCR__LIVE_RECORD_MAX_OBJECTS);
    for (size_t i = 0; i < n; i++) {
        if (!object_name_ok(names[i]))
            return hcr__fail(msg, HCR_EINVAL, "object name \"%s\" cannot be recorded", names[i]);
        if (!source_ok(objects[i].source))
            return hcr__fail(msg, HCR_EINVAL, "source %s cannot be recorded: not an absolute "
                             "path of printable characters", objects[i].source);
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return hcr__fail(msg, HCR_ENOMEM, "out of memory writing a change record");
    fprintf(f, "%s\n", RECORD_MAGIC);
    for (size_t i = 0; i < n; i++) {
        double ms = objects[i].compile_ms;
        fprintf(f, "object %s %.3f %s\n", names[i],
                isfinite(ms) && ms >= 0 && ms < MAX_COMPILE_MS ? ms : 0.0, objects[i].source);
    }
    fputs("end\n", f);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return hcr__fail(msg, HCR_ENOMEM, "out of memory writing a change record");
    }
    *text = buf;
    return 0;
}

/* Parses one "object NAME MS SOURCE" line (without its newline) into *o,
   its object made absolute under `objects_dir`. 0, or HCR_ECORRUPT /
   HCR_ENOMEM with msg naming what is wrong (the caller adds the file). */
static int parse_object_line(char *line, const char *objects_dir, struct hcr__live_object *o,
                             struct hcr__message *msg)
{
    if (strncmp(line, "object ", 7) != 0)
        return hcr__fail(msg, HCR_ECORRUPT, "\"object\" or \"end\" expected");
    char *name = line + 7;
    char *space = strchr(name, ' ');
    if (!space)
        return hcr__fail(msg, HCR_ECORRUPT, "no compile time after the object");
    *space = '\0';
    char *ms_text = space + 1, *end;
    errno = 0;
    double ms = strtod(ms_text, &end);
    if (end == ms_text || *end != ' ' || errno || !isfinite(ms) || ms < 0 || ms >= MAX_COMPILE_MS)
        return hcr__fail(msg, HCR_ECORRUPT, "bad compile time");
    const char *source = end + 1;
    if (!object_name_ok(name))
        return hcr__fail(msg, HCR_ECORRUPT, "bad object name \"%s\"", name);
    if (!source_ok(source))
        return hcr__fail(msg, HCR_ECORRUPT, "the source is not an absolute path");
    char *object = NULL;
    if (asprintf(&object, "%s/%s", objects_dir, name) < 0)
        object = NULL;
    char *src = strdup(source);
    if (!object || !src) {
        free(object);
        free(src);
        return hcr__fail(msg, HCR_ENOMEM, "out of memory");
    }
    *o = (struct hcr__live_object){src, object, ms};
    return 0;
}

/* Parses the whole text of a record (NUL-terminated, may be modified). */
static int parse_record(char *text, const char *objects_dir, struct hcr__live_object **out,
                        size_t *count, struct hcr__message *msg)
{
    struct hcr__live_object *v = NULL;
    size_t n = 0, cap = 0, line_no = 1;
    int rc = 0, ended = 0;
    char *line = text;
    for (char *nl; !ended && rc == 0; line = nl + 1, line_no++) {
        if (!(nl = strchr(line, '\n'))) {
            rc = hcr__fail(msg, HCR_ETRUNC, "line %zu: the record ends without \"end\"", line_no);
            break;
        }
        *nl = '\0';
        if (line_no == 1) {
            if (strcmp(line, RECORD_MAGIC) != 0)
                rc = hcr__fail(msg, HCR_ECORRUPT, "line 1: not a change record of this hcr "
                               "(\"%s\" expected)", RECORD_MAGIC);
            continue;
        }
        if (!strcmp(line, "end")) {
            ended = 1;
            if (nl[1] != '\0')
                rc = hcr__fail(msg, HCR_ECORRUPT, "line %zu: text after \"end\"", line_no + 1);
            else if (n == 0)
                rc = hcr__fail(msg, HCR_ECORRUPT, "line %zu: a change without objects", line_no);
            continue;
        }
        struct hcr__live_object *grown = n < HCR__LIVE_RECORD_MAX_OBJECTS
                                             ? hcr__grow(v, n, &cap, sizeof *grown, 4)
                                             : NULL;
        if (!grown) {
            rc = n < HCR__LIVE_RECORD_MAX_OBJECTS
                     ? hcr__fail(msg, HCR_ENOMEM, "out of memory")
                     : hcr__fail(msg, HCR_ECORRUPT, "more than %d objects",
                                 HCR__LIVE_RECORD_MAX_OBJECTS);
            break;
        }
        v = grown;
        struct hcr__message inner = {{0}};
        if ((rc = parse_object_line(line, objects_dir, &v[n], &inner)) < 0)
            hcr__fail(msg, rc, "line %zu: %s", line_no, inner.text);
        else
            n++;
    }
    if (rc < 0) {
        hcr__live_objects_free(v, n);
        return rc;
    }
    *out = v;
    *count = n;
    return 0;
}

/* Reads the regular file `name` of directory dir_fd whole (at most
   RECORD_MAX_BYTES), NUL-terminated. 0 or a negative code with msg. */
static int read_small_file(int dir_fd, const char *name, char **text, struct hcr__message *msg)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return hcr__fail(msg, errno == ENOENT ? HCR_ENOENT : -errno, "cannot open: %s",
                         strerror(errno));
    struct stat st;
    int rc = 0;
    char *buf = NULL;
    if (fstat(fd, &st) != 0)
        rc = hcr__fail(msg, -errno, "cannot stat: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = hcr__fail(msg, HCR_ECORRUPT, "not a regular file");
    else if ((size_t)st.st_size > RECORD_MAX_BYTES)
        rc = hcr__fail(msg, HCR_ECORRUPT, "%lld bytes is too large for a change record",
                       (long long)st.st_size);
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        rc = hcr__fail(msg, HCR_ENOMEM, "out of memory");
    size_t got = 0;
    while (rc == 0 && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            rc = hcr__fail(msg, HCR_ETRUNC, "the record shrank while being read");
        else
            got += (size_t)r;
    }
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    if (strlen(buf) != got) {
        free(buf);
        return hcr__fail(msg, HCR_ECORRUPT, "a NUL byte in the record");
    }
    *text = buf;
    return 0;
}

int hcr__live_record_read(int dir_fd, const char *name, const char *objects_dir,
                          struct hcr__live_object **objects, size_t *n,
                          struct hcr__message *msg)
{
    *objects = NULL;
    *n = 0;
    char *text = NULL;
    struct hcr__message inner = {{0}};
    int rc = read_small_file(dir_fd, name, &text, &inner);
    if (rc == 0)
        rc = parse_record(text, objects_dir, objects, n, &inner);
    free(text);
    if (rc < 0)
        hcr__fail(msg, rc, "change record %s: %s", name, inner.text);
    return rc;
}

int hcr__live_record_write(int dir_fd, unsigned long long seq, const char *text,
                           struct hcr__message *msg)
{
    char tmp[64], name[32];
    snprintf(tmp, sizeof tmp, ".%llu.%d.tmp", seq, (int)getpid());
    snprintf(name, sizeof name, "%llu" HCR__LIVE_RECORD_SUFFIX, seq);
    int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return hcr__fail(msg, -errno, "cannot create change record %s: %s", tmp, strerror(errno));
    size_t len = strlen(text), done = 0;
    int rc = 0;
    while (rc == 0 && done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = hcr__fail(msg, w < 0 ? -errno : HCR_EIO, "cannot write change record %s: %s",
                           tmp, w < 0 ? strerror(errno) : "no space written");
        else
            done += (size_t)w;
    }
    if (close(fd) != 0 && rc == 0)
        rc = hcr__fail(msg, -errno, "cannot write change record %s: %s", tmp, strerror(errno));
    /* Never over another record: a reader may have it half applied. */
    if (rc == 0 && renameat2(dir_fd, tmp, dir_fd, name, RENAME_NOREPLACE) != 0)
        rc = hcr__fail(msg, errno == EEXIST ? HCR_EBUSY : -errno,
                       "cannot publish change record %s: %s", name, strerror(errno));
    if (rc < 0)
        unlinkat(dir_fd, tmp, 0);
    return rc;
}

int hcr__live_record_seq(const char *name, unsigned long long *seq)
{
    size_t digits = strspn(name, "0123456789");
    if (digits == 0 || digits > 19 || (name[0] == '0' && digits > 1) ||
        strcmp(name + digits, HCR__LIVE_RECORD_SUFFIX) != 0)
        return 0;
    *seq = strtoull(name, NULL, 10);
    return *seq > 0;
}
