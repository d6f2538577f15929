/*
 * test_snapshot.c: the copy of a build into the private directory
 * (hcr__snapshot_copy) through each kind of spare: none, one only created,
 * one mapped with every page in place, one whose mapping is in place only
 * in part (the build came early), one smaller and one larger than the
 * build. Whatever the way, the copy must be the build byte for byte, and
 * snap.bytes must hold the same bytes. Also the budget all spares share.
 */
#include "harness.h"
#include "plugin/plugin_internal.h"
#include "plugin_util.h"
#include "watch.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes `size` bytes of a pattern unique to `seed` to `path`. */
static void write_build(const char *path, size_t size, unsigned seed)
{
    unsigned char *bytes = malloc(size);
    CHECK(bytes != NULL);
    for (size_t i = 0; i < size; i++)
        bytes[i] = (unsigned char)((i * 2654435761u + seed) >> 13);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, bytes, size), (ssize_t)size);
    close(fd);
    free(bytes);
}

/* Makes a spare of `size` bytes at `path`, mapped with every page in
   place. */
static void prepare_mapped_spare(struct hcr__spare *spare, const char *path, off_t size)
{
    hcr__spare_prepare(spare, path, size);
    CHECK(spare->map != NULL);
    while (hcr__spare_populate(spare))
        ;
    CHECK_EQ(spare->populated, spare->map_size);
}

/* Copies build to copy through `spare` and checks the result. */
static void copy_and_check(const char *build, const char *copy, struct hcr__spare *spare,
                           int expect_spare_mapping)
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
    CHECK_EQ(mapped_shared(copy), expect_spare_mapping);
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
    copy_and_check(harness_path("build"), harness_path("copy"), &spare, 0);
}

TEST(copies_into_a_fully_mapped_spare)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_mapped_spare(&spare, copy, 700 * 1024);
    write_build(harness_path("build"), 700 * 1024, 2);
    copy_and_check(harness_path("build"), copy, &spare, 1);
}

TEST(copies_into_a_spare_mapped_in_part)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    hcr__spare_prepare(&spare, copy, 700 * 1024);
    CHECK(spare.map != NULL);
    CHECK_EQ(hcr__spare_populate(&spare), 1); /* one step of three */
    CHECK(spare.populated > 0 && spare.populated < spare.map_size);
    write_build(harness_path("build"), 650 * 1024, 3);
    copy_and_check(harness_path("build"), copy, &spare, 1);
}

TEST(copies_into_a_spare_larger_than_the_build)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_mapped_spare(&spare, copy, 900 * 1024);
    write_build(harness_path("build"), 300 * 1024 + 5, 4); /* cut to size */
    copy_and_check(harness_path("build"), copy, &spare, 1);
}

TEST(copies_past_a_spare_smaller_than_the_build)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_mapped_spare(&spare, copy, 300 * 1024);
    write_build(harness_path("build"), 800 * 1024, 5);
    copy_and_check(harness_path("build"), copy, &spare, 0);
    hcr__watch_flush(); /* the spare's mapping, unmapped */
}

TEST(a_spare_under_another_name_is_renamed)
{
    struct hcr__spare spare = {0};
    prepare_mapped_spare(&spare, harness_path("v7-spare"), 500 * 1024);
    write_build(harness_path("build"), 500 * 1024, 6);
    copy_and_check(harness_path("build"), harness_path("copy"), &spare, 1);
    CHECK(access(harness_path("v7-spare"), F_OK) != 0);
}

TEST(an_empty_or_missing_build_is_refused_and_the_spare_kept)
{
    struct hcr__spare spare = {0};
    const char *copy = harness_path("copy");
    prepare_mapped_spare(&spare, copy, 700 * 1024);
    /* An empty build is refused before any copy; a missing one too. */
    write_build(harness_path("build"), 0, 7);
    struct hcr__snapshot snap;
    struct hcr__message msg = {0};
    CHECK(hcr__snapshot_copy(harness_path("build"), copy, &spare, &snap, &msg) < 0);
    CHECK_STR_HAS(msg.text, "empty");
    CHECK(hcr__snapshot_copy(harness_path("missing"), copy, &spare, &snap, &msg) < 0);
    CHECK_STR_HAS(msg.text, "missing");
    CHECK(spare.path != NULL && spare.map != NULL); /* for the next build */
    hcr__spare_drop(&spare);
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
       created, neither allocated nor mapped. */
    CHECK_EQ(4 * HCR__SPARE_MAX, HCR__SPARE_BUDGET);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(spares[i].size, HCR__SPARE_MAX);
    CHECK_EQ(spares[4].size, 0);
    CHECK(spares[4].map == NULL);
    /* A spare dropped, or taken by a copy, gives its share back. */
    hcr__spare_drop(&spares[0]);
    hcr__spare_prepare(&spares[4], name[4], HCR__SPARE_MAX);
    CHECK_EQ(spares[4].size, HCR__SPARE_MAX);
    for (int i = 0; i < 5; i++)
        hcr__spare_drop(&spares[i]);
}
