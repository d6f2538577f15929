/*
 * test_live_share.c: sharing one compile between the processes of a
 * program (src/live/live_share.c, live_session.c, live_record.c), without
 * a compiler: the "objects" published are small text files, and what a
 * process reloads is what its deliver callback receives. Processes are
 * made with fork; they report through their exit status and a pipe.
 */
#include "harness.h"
#include "live/live.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS harness_scale(10000)

/* What deliver() received: "SOURCE=CONTENTS;" per object, "|" per change. */
static char delivered[4096];

static void append_file(const char *path)
{
    char buf[256] = "";
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    strncat(delivered, buf, sizeof delivered - strlen(delivered) - 1);
}

static void deliver(const struct hcr__live_object *objects, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *slash = strrchr(objects[i].source, '/');
        strncat(delivered, slash + 1, sizeof delivered - strlen(delivered) - 1);
        strncat(delivered, "=", sizeof delivered - strlen(delivered) - 1);
        append_file(objects[i].object);
        strncat(delivered, ";", sizeof delivered - strlen(delivered) - 1);
    }
    strncat(delivered, "|", sizeof delivered - strlen(delivered) - 1);
}

static const struct hcr__log quiet_log = {NULL, NULL};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(fputs(text, f) >= 0);
    CHECK(fclose(f) == 0);
}

/* The session name of these tests: this user's prefix, so that removing
   sessions nobody is in applies to it. */
static const char *session_name(void)
{
    static char name[64];
    snprintf(name, sizeof name, "hcr-live-%u-test", (unsigned)geteuid());
    return name;
}

static void join(struct hcr__live_share *s)
{
    struct hcr__message msg = {{0}};
    hcr__live_share_init(s, &quiet_log, deliver);
    int rc = hcr__live_session_join(s, harness_tmpdir(), session_name(), &msg);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "join: %s (%s)", msg.text, hcr_error_name(rc));
}

/* Publishes one change of objects whose contents are `texts` (sources
   "/src/a.c", "/src/b.c", ... in order). */
static void publish(struct hcr__live_share *s, size_t n, const char *const *texts)
{
    struct hcr__live_object objects[4];
    char sources[4][32], paths[4][600];
    static int made;
    for (size_t i = 0; i < n; i++) {
        snprintf(sources[i], sizeof sources[i], "/src/%c.c", (char)('a' + i));
        snprintf(paths[i], sizeof paths[i], "%s/made-%d.o", harness_tmpdir(), made++);
        write_file(paths[i], texts[i]);
        objects[i] = (struct hcr__live_object){sources[i], paths[i], 12.5};
    }
    CHECK_EQ(hcr__live_share_publish(s, objects, n), 0);
}

static int readable_eventfd(void)
{
    int fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
    CHECK(fd >= 0);
    return fd;
}

TEST(a_record_reads_back_in_order)
{
    struct hcr__live_object in[2] = {{"/w/x y.c", "/cache/1.o", 45.25}, {"/w/b.c", "/c/2.o", 0}};
    const char *names[2] = {"7-0.o", "7-1.o"};
    char *text = NULL;
    struct hcr__message msg = {{0}};
    CHECK_EQ(hcr__live_record_format(in, 2, names, &text, &msg), 0);
    int dir = open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
    CHECK(dir >= 0);
    CHECK_EQ(hcr__live_record_write(dir, 7, text, &msg), 0);
    CHECK_EQ(hcr__live_record_write(dir, 7, text, &msg), HCR_EBUSY); /* never over one */
    free(text);

    struct hcr__live_object *out;
    size_t n;
    CHECK_EQ(hcr__live_record_read(dir, "7.change", "/objs", &out, &n, &msg), 0);
    CHECK_EQ(n, 2);
    CHECK(!strcmp(out[0].source, "/w/x y.c") && !strcmp(out[0].object, "/objs/7-0.o"));
    CHECK(!strcmp(out[1].source, "/w/b.c") && !strcmp(out[1].object, "/objs/7-1.o"));
    CHECK(out[0].compile_ms > 45.2 && out[0].compile_ms < 45.3);
    hcr__live_objects_free(out, n);
    close(dir);

    /* What cannot be written in one. */
    const char *bad_name[1] = {"../x.o"};
    CHECK_EQ(hcr__live_record_format(in, 1, bad_name, &text, &msg), HCR_EINVAL);
    struct hcr__live_object relative = {"w/x.c", "/c/1.o", 1};
    CHECK_EQ(hcr__live_record_format(&relative, 1, names, &text, &msg), HCR_EINVAL);
    CHECK_EQ(hcr__live_record_format(in, 0, names, &text, &msg), HCR_EINVAL);
}

TEST(record_names_and_numbers)
{
    unsigned long long seq = 0;
    CHECK(hcr__live_record_seq("17.change", &seq) && seq == 17);
    const char *not_records[] = {"0.change", "017.change", "17.chang", ".17.change",
                                 "17.change.tmp", "x.change", "12345678901234567890.change",
                                 ".17.9.tmp", ""};
    for (size_t i = 0; i < sizeof not_records / sizeof *not_records; i++)
        if (hcr__live_record_seq(not_records[i], &seq))
            harness_fail(__FILE__, __LINE__, "\"%s\" taken for a record", not_records[i]);
}

TEST(bad_records_are_refused_with_the_line)
{
    static const struct {
        const char *text;
        int code;
        const char *says;
    } cases[] = {
        {"", HCR_ETRUNC, "line 1"},
        {"hcr-live-change 2\nobject a.o 1 /s.c\nend\n", HCR_ECORRUPT, "line 1"},
        {"hcr-live-change 1\nobject a.o 1 /s.c\n", HCR_ETRUNC, "without \"end\""},
        {"hcr-live-change 1\nend\n", HCR_ECORRUPT, "without objects"},
        {"hcr-live-change 1\nobject ../a.o 1 /s.c\nend\n", HCR_ECORRUPT, "line 2"},
        {"hcr-live-change 1\nobject sub/a.o 1 /s.c\nend\n", HCR_ECORRUPT, "bad object name"},
        {"hcr-live-change 1\nobject .a.o 1 /s.c\nend\n", HCR_ECORRUPT, "bad object name"},
        {"hcr-live-change 1\nobject a.o 1 s.c\nend\n", HCR_ECORRUPT, "not an absolute"},
        {"hcr-live-change 1\nobject a.o x /s.c\nend\n", HCR_ECORRUPT, "compile time"},
        {"hcr-live-change 1\nobject a.o -1 /s.c\nend\n", HCR_ECORRUPT, "compile time"},
        {"hcr-live-change 1\nobject a.o nan /s.c\nend\n", HCR_ECORRUPT, "compile time"},
        {"hcr-live-change 1\nobject a.o\nend\n", HCR_ECORRUPT, "no compile time"},
        {"hcr-live-change 1\nreload a.o 1 /s.c\nend\n", HCR_ECORRUPT, "line 2"},
        {"hcr-live-change 1\nobject a.o 1 /s.c\nend\nobject b.o 1 /t.c\n", HCR_ECORRUPT,
         "after \"end\""},
    };
    int dir = open(harness_tmpdir(), O_RDONLY | O_DIRECTORY);
    CHECK(dir >= 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char name[32];
        snprintf(name, sizeof name, "%zu.change", i + 1);
        write_file(harness_path(name), cases[i].text);
        struct hcr__live_object *out = NULL;
        size_t n = 0;
        struct hcr__message msg = {{0}};
        int rc = hcr__live_record_read(dir, name, "/objs", &out, &n, &msg);
        if (rc != cases[i].code || !strstr(msg.text, name) || !strstr(msg.text, cases[i].says))
            harness_fail(__FILE__, __LINE__, "case %zu: %s, \"%s\"; expected %s naming %s and "
                         "saying \"%s\"", i, hcr_error_name(rc), msg.text,
                         hcr_error_name(cases[i].code), name, cases[i].says);
        CHECK(out == NULL && n == 0);
    }
    /* More objects than a record may hold. */
    char *big = malloc(64 * (HCR__LIVE_RECORD_MAX_OBJECTS + 2));
    CHECK(big != NULL);
    strcpy(big, "hcr-live-change 1\n");
    for (int i = 0; i <= HCR__LIVE_RECORD_MAX_OBJECTS; i++)
        sprintf(big + strlen(big), "object o%d.o 1 /s.c\n", i);
    strcat(big, "end\n");
    write_file(harness_path("99.change"), big);
    free(big);
    struct hcr__live_object *out;
    size_t n;
    struct hcr__message msg = {{0}};
    CHECK_EQ(hcr__live_record_read(dir, "99.change", "/objs", &out, &n, &msg), HCR_ECORRUPT);
    CHECK_STR_HAS(msg.text, "more than");
    CHECK_EQ(hcr__live_record_read(dir, "none.change", "/objs", &out, &n, &msg), HCR_ENOENT);
    close(dir);
}

TEST(a_session_must_be_a_private_directory)
{
    struct hcr__live_share s;
    struct hcr__message msg = {{0}};
    char path[600];
    snprintf(path, sizeof path, "%s/%s", harness_tmpdir(), session_name());
    CHECK_EQ(mkdir(path, 0755), 0);
    chmod(path, 0755);
    hcr__live_share_init(&s, &quiet_log, deliver);
    CHECK_EQ(hcr__live_session_join(&s, harness_tmpdir(), session_name(), &msg), HCR_EACCES);
    CHECK_STR_HAS(msg.text, path);
    CHECK_STR_HAS(msg.text, "mode 755");
    CHECK(!s.joined && s.dir_fd < 0 && s.lock_fd < 0);

    CHECK_EQ(rmdir(path), 0);
    CHECK_EQ(symlink(harness_tmpdir(), path), 0);
    CHECK(hcr__live_session_join(&s, harness_tmpdir(), session_name(), &msg) < 0);
    CHECK_STR_HAS(msg.text, "symbolic link");
    CHECK_EQ(unlink(path), 0);

    join(&s); /* made afresh: private */
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0700);
    hcr__live_share_leave(&s);
}

/* The follower of a_follower_reloads_and_takes_over, in a child forked
   from the leader (whose share is `parent`): lets go of the parent's lock
   file (sharing it, the parent's leaving would release no lock), joins
   anew, and reports on `out` what it received and whether it led. */
static void follower(struct hcr__live_share *parent, int out)
{
    hcr__live_share_abandon(parent);
    struct hcr__live_share s;
    join(&s);
    int never = eventfd(0, EFD_CLOEXEC);
    int led = hcr__live_share_wait_to_lead(&s, never);
    dprintf(out, "%s\nled %d\n", delivered, led);
    hcr__live_share_leave(&s);
    _exit(0);
}

/* Waits until the follower's watch of the records directory exists (it
   follows), by the inotify descriptors in /proc/PID/fd. */
static void wait_following(pid_t pid)
{
    for (int waited = 0;; waited += 5) {
        char dir[64];
        snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
        DIR *d = opendir(dir);
        int found = 0;
        for (struct dirent *e; d && !found && (e = readdir(d));) {
            char link[320], target[64];
            snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            found = n > 0 && (target[n] = 0, !strcmp(target, "anon_inode:inotify"));
        }
        if (d)
            closedir(d);
        if (found)
            return;
        if (waited > WAIT_MS)
            harness_fail(__FILE__, __LINE__, "process %d never followed", (int)pid);
        harness_sleep_ms(5);
    }
}

/* A leader and a follower in two processes: the follower reloads the
   change published before it came (a new process catches up), then one
   published while it follows, each with its objects in order; when the
   leader leaves, it takes over. */
TEST(a_follower_reloads_and_takes_over)
{
    struct hcr__live_share s;
    join(&s);
    int never = eventfd(0, EFD_CLOEXEC);
    CHECK_EQ(hcr__live_share_wait_to_lead(&s, never), 1);
    CHECK(s.leader);
    publish(&s, 2, (const char *const[]){"one", "two"});
    CHECK_STR_HAS(delivered, "a.c=one;b.c=two;|"); /* the leader reloads it too */

    int report[2];
    CHECK_EQ(pipe(report), 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        delivered[0] = '\0';
        follower(&s, report[1]);
    }
    close(report[1]);
    wait_following(pid);
    publish(&s, 1, (const char *const[]){"three"});
    hcr__live_share_leave(&s); /* the follower takes over */

    char text[4096] = "";
    size_t got = 0;
    for (ssize_t n; (n = read(report[0], text + got, sizeof text - 1 - got)) > 0;)
        got += (size_t)n;
    text[got] = '\0';
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (strcmp(text, "a.c=one;b.c=two;|a.c=three;|\nled 1\n") != 0)
        harness_fail(__FILE__, __LINE__, "the follower reported \"%s\"", text);
}

struct waiter {
    struct hcr__live_share *s;
    int wake;
    int led;
};

static void *wait_to_lead(void *arg)
{
    struct waiter *w = arg;
    w->led = hcr__live_share_wait_to_lead(w->s, w->wake);
    return NULL;
}

/* Two members in one process (each its own open lock file): the second
   follows; told to stop, it returns 0 and leaving ends its takeover
   thread; following again, it takes over when the first leaves. */
TEST_TIMEOUT(a_follower_stops_or_takes_over, 30)
{
    struct hcr__live_share first, second;
    join(&first);
    CHECK_EQ(hcr__live_share_wait_to_lead(&first, readable_eventfd()), 1);
    join(&second);
    struct waiter w = {&second, readable_eventfd(), -1};
    CHECK_EQ(hcr__live_share_wait_to_lead(&second, w.wake), 0); /* stop asked at once */
    CHECK(second.takeover_running);
    hcr__live_share_leave(&second); /* cancels the thread waiting for the lock */
    CHECK(!second.takeover_running && second.lock_fd < 0 && second.watch_fd < 0);

    join(&second);
    w.wake = eventfd(0, EFD_CLOEXEC);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, wait_to_lead, &w), 0);
    hcr__live_share_leave(&first);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(w.led, 1);
    CHECK(second.leader);
    hcr__live_share_leave(&second);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* The last member to leave removes the session; one left by a process
   that ended without leaving is removed by the next to join, whose
   session then starts empty. */
TEST(empty_sessions_are_removed)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", harness_tmpdir(), session_name());
    struct hcr__live_share s;
    join(&s);
    CHECK(exists(path));
    hcr__live_share_leave(&s);
    CHECK(!exists(path));

    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        join(&s);
        hcr__live_share_wait_to_lead(&s, readable_eventfd());
        publish(&s, 1, (const char *const[]){"stale"});
        _exit(0); /* without leaving */
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(exists(path));
    delivered[0] = '\0';
    join(&s);
    CHECK_EQ(hcr__live_share_wait_to_lead(&s, readable_eventfd()), 1);
    CHECK_EQ(strlen(delivered), 0); /* the stale change went with its session */
    char record[700];
    snprintf(record, sizeof record, "%s/records/1.change", path);
    CHECK(!exists(record));
    DIR *d = opendir(harness_tmpdir());
    for (struct dirent *e; d && (e = readdir(d));)
        if (strstr(e->d_name, ".dead."))
            harness_fail(__FILE__, __LINE__, "%s left behind", e->d_name);
    if (d)
        closedir(d);
    hcr__live_share_leave(&s);
}

/* How many of this process's descriptors are open on a file whose path
   ends with `name`. */
static int open_files_named(const char *name)
{
    DIR *d = opendir("/proc/self/fd");
    int count = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char link[300], target[600];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        size_t len = strlen(name);
        count += (size_t)n >= len && !strcmp(target + n - len, name);
    }
    if (d)
        closedir(d);
    return count;
}

/* After a fork, the child lets go of the parent's descriptors, rejoins
   the same session, and reloads only what the parent had not (as if the
   parent had reloaded change 1 but not yet change 2). */
TEST(a_forked_member_reloads_what_its_parent_had_not)
{
    struct hcr__live_share s;
    join(&s);
    CHECK_EQ(hcr__live_share_wait_to_lead(&s, readable_eventfd()), 1);
    publish(&s, 1, (const char *const[]){"first"});
    publish(&s, 1, (const char *const[]){"second"});
    atomic_store(&s.applied, 1);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        delivered[0] = '\0';
        hcr__live_share_abandon(&s);
        /* No descriptor of the lock file is left (the parent's lock stays
           held: see below). */
        if (open_files_named("members.lock"))
            _exit(10);
        if (s.leader || s.joined || s.dir_fd < 0)
            _exit(11);
        struct hcr__message msg = {{0}};
        if (hcr__live_session_join(&s, harness_tmpdir(), session_name(), &msg) != 0)
            _exit(12);
        /* The parent leads: this one follows, catches up, then stops. */
        if (hcr__live_share_wait_to_lead(&s, readable_eventfd()) != 0)
            _exit(13);
        _exit(strcmp(delivered, "a.c=second;|") == 0 ? 0 : 14);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        harness_fail(__FILE__, __LINE__, "the child ended with status 0x%x", status);
    CHECK(s.leader); /* the child's leaving took nothing from the parent */
    CHECK_EQ(hcr__live_lock_byte(s.lock_fd, F_WRLCK, HCR__LIVE_LEADER_BYTE, 0), 0);
    hcr__live_share_leave(&s);
}
