/*
 * test_snapshot.c: the copy of a build into the private directory
 * (hcr__snapshot_copy): small builds through memory, large ones by the
 * kernel from file to file, into no spare, one made ahead with its pages
 * allocated, one smaller and one larger than the build, one under another
 * name. Whatever the way, the copy must be the build byte for byte,
 * snap.bytes must hold the same bytes, and the process must hold no
 * writable mapping of the copy. A copy that cannot be written (a file size
 * limit standing in for a full disk) or whose build ends early fails with
 * a message naming both files and leaves no copy behind. Also the budget
 * all spares share.
 */
#include "harness.h"
#include "plugin/plugin_internal.h"
#include "plugin_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes `size` bytes of a pattern unique to `seed` to `path`. */
static void write_build(const char *path, size_t size, unsigned seed)
{
    unsigned char *bytes = malloc(size ? size : 1);
    CHECK(bytes != NULL);
    for (size_t i = 0; i < size; i++)
        bytes[i] = (unsigned char)((i * 2654435761u + seed) >> 13);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, bytes, size), (ssize_t)size);
    close(fd);
    free(bytes);
}

/* Makes a spare of `size` bytes at `path`, with its pages allocated. */
static void prepare_spare(struct hcr__spare *spare, const char *path, off_t size)
{
    hcr__spare_prepare(spare, path, size);
    CHECK(spare->path != NULL);
    CHECK_EQ(spare->size, size);
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_size, size);
    CHECK(mapped_shared(path) == 0); /* never mapped */
}

/* Copies build to copy through `spare` and checks the result: exact, made
   in memory when it is small, never mapped writable. */
static void copy_and_check(const char *build, const char *copy, struct hcr__spare *spare)
{
    struct hcr__snapshot snap;
    struct hcr__message msg = {0};
    CHECK_EQ(hcr__snapshot_copy(build, copy, spare, &snap, &msg), 0);
    size_t built_size, copied_size;
    unsigned char *built = read_whole_file(build, &built_size);
    unsigned char *copied = read_whole_file(copy, &copied_size);
    CHECK_EQ(copied_size, built_size);
    CHECK(memcmp(copied, built, built_size) == 0);
    CHECK_EQ(snap.size, built_size);
    CHECK(memcmp(snap.bytes, built, built_size) == 0);
    CHECK_EQ(snap.on_heap, built_size < HCR__COPY_THROUGH_MAX);
    CHECK_EQ(mapped_shared(copy), 0);
    struct stat st;
    CHECK_EQ(stat(copy, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0700);
    CHECK(spare->path == NULL); /* taken */
    hcr__snapshot_release(&snap);
    free(built);
    free(copied);
}

TEST(copies_without_a_spare)
{
    struct hcr__spare spare = {0};
    write_build(harness_path("build"), 700 * 1024, 1);
    copy_and_check(harness_path("build"), harness_path("copy"), &spare);
    write_build(harness_path("small"), 20 * 1024, 1);
    copy_and_check(harness_path("small"), harness_path("small-copy"), &spare);
}

TEST(copies_into_an_allocated_spare)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_spare(&spare, copy, 700 * 1024);
    write_build(harness_path("build"), 700 * 1024, 2);
    copy_and_check(harness_path("build"), copy, &spare);
}

TEST(copies_a_small_build_into_a_spare)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_spare(&spare, copy, 24 * 1024);
    write_build(harness_path("build"), 21 * 1024 + 7, 3); /* cut to size */
    copy_and_check(harness_path("build"), copy, &spare);
}

TEST(copies_into_a_spare_larger_than_the_build)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_spare(&spare, copy, 900 * 1024);
    write_build(harness_path("build"), 300 * 1024 + 5, 4); /* cut to size */
    copy_and_check(harness_path("build"), copy, &spare);
}

TEST(copies_past_a_spare_smaller_than_the_build)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_spare(&spare, copy, 300 * 1024);
    write_build(harness_path("build"), 800 * 1024, 5);
    copy_and_check(harness_path("build"), copy, &spare);
}

TEST(a_spare_under_another_name_is_renamed)
{
    struct hcr__spare spare = {0};
    prepare_spare(&spare, harness_path("v7-spare"), 500 * 1024);
    write_build(harness_path("build"), 500 * 1024, 6);
    copy_and_check(harness_path("build"), harness_path("copy"), &spare);
    CHECK(access(harness_path("v7-spare"), F_OK) != 0);
}

/* The copy goes to another file system than the build (the usual case:
   the build on disk, the private directory in memory): sendfile, not
   copy_file_range. Skipped where /dev/shm is the build's file system. */
TEST(copies_across_file_systems)
{
    struct stat shm, here;
    if (stat("/dev/shm", &shm) != 0 || stat(harness_path("."), &here) != 0 ||
        shm.st_dev == here.st_dev || access("/dev/shm", W_OK) != 0)
        return;
    char dir[] = "/dev/shm/hcr-test-copy-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char copy[64];
    snprintf(copy, sizeof copy, "%s/copy", dir);
    struct hcr__spare spare = {0};
    prepare_spare(&spare, copy, 600 * 1024);
    CHECK(spare.dev != here.st_dev);
    write_build(harness_path("build"), 600 * 1024 + 3, 8);
    copy_and_check(harness_path("build"), copy, &spare);
    unlink(copy);
    rmdir(dir);
}

TEST(an_empty_or_missing_build_is_refused_and_the_spare_kept)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_spare(&spare, copy, 700 * 1024);
    /* An empty build is refused before any copy; a missing one too. */
    write_build(harness_path("build"), 0, 7);
    struct hcr__snapshot snap;
    struct hcr__message msg = {0};
    CHECK(hcr__snapshot_copy(harness_path("build"), copy, &spare, &snap, &msg) < 0);
    CHECK_STR_HAS(msg.text, "empty");
    CHECK(hcr__snapshot_copy(harness_path("missing"), copy, &spare, &snap, &msg) < 0);
    CHECK_STR_HAS(msg.text, "missing");
    CHECK(spare.path != NULL); /* for the next build */
    hcr__spare_drop(&spare);
}

/* Copies a build of `size` bytes with files limited to 64 KB, as a full
   disk would refuse them: the copy fails naming the build and the copy,
   and no copy is left. */
static void copy_refused_past_the_limit(size_t size)
{
    write_build(harness_path("build"), size, 9);
    signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead */
    struct rlimit limit;
    CHECK_EQ(getrlimit(RLIMIT_FSIZE, &limit), 0);
    limit.rlim_cur = 64 * 1024;
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
    struct hcr__spare spare = {0};
    struct hcr__snapshot snap;
    struct hcr__message msg = {0};
    const char *copy = harness_path("copy");
    CHECK_EQ(hcr__snapshot_copy(harness_path("build"), copy, &spare, &snap, &msg), -EFBIG);
    CHECK_STR_HAS(msg.text, harness_path("build"));
    CHECK_STR_HAS(msg.text, copy);
    CHECK_STR_HAS(msg.text, strerror(EFBIG));
    CHECK(access(copy, F_OK) != 0);
    limit.rlim_cur = limit.rlim_max;
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
}

TEST(a_large_copy_that_cannot_be_written_fails_and_names_the_files)
{
    copy_refused_past_the_limit(700 * 1024);
}

TEST(a_small_copy_that_cannot_be_written_fails_and_names_the_files)
{
    copy_refused_past_the_limit(100 * 1024);
}

/* A build that ends before the size it had when the copy began (still
   being written): HCR_ETRUNC, both ways of copying. */
TEST(a_build_shorter_than_its_size_is_truncated)
{
    size_t sizes[] = {20 * 1024, 700 * 1024};
    for (size_t i = 0; i < HCR__ARRAY_SIZE(sizes); i++) {
        for (int same_fs = 0; same_fs < 2; same_fs++) {
            write_build(harness_path("build"), sizes[i], 10);
            int in = open(harness_path("build"), O_RDONLY);
            int out = open(harness_path("copy"), O_RDWR | O_CREAT | O_TRUNC, 0600);
            CHECK(in >= 0 && out >= 0);
            void *buffer = (void *)1;
            CHECK_EQ(hcr__copy_build(in, out, (off_t)sizes[i] + 4096, same_fs, &buffer),
                     HCR_ETRUNC);
            CHECK(buffer == NULL);
            close(in);
            close(out);
        }
    }
}

TEST(spares_share_one_budget)
{
    struct hcr__spare spares[5] = {{0}};
    char name[5][512];
    for (int i = 0; i < 5; i++) {
        char leaf[16];
        snprintf(leaf, sizeof leaf, "spare%d", i);
        snprintf(name[i], sizeof name[i], "%s", harness_path(leaf));
        hcr__spare_prepare(&spares[i], name[i], HCR__SPARE_MAX);
        CHECK(spares[i].path != NULL);
    }
    /* Four of the largest spares use the whole budget: the fifth is only
       created, not allocated. */
    CHECK_EQ(4 * HCR__SPARE_MAX, HCR__SPARE_BUDGET);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(spares[i].size, HCR__SPARE_MAX);
    CHECK_EQ(spares[4].size, 0);
    /* A spare dropped, or taken by a copy, gives its share back. */
    hcr__spare_drop(&spares[0]);
    hcr__spare_prepare(&spares[4], name[4], HCR__SPARE_MAX);
    CHECK_EQ(spares[4].size, HCR__SPARE_MAX);
    for (int i = 0; i < 5; i++)
        hcr__spare_drop(&spares[i]);
}
