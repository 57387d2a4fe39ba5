/* test_cgroup.c - where a process's cgroup is and what memory its limits leave: the parsing
 * of /proc/self/cgroup and /proc/self/mountinfo texts (v1 only, v2 only, hybrid, joined
 * controllers, containers' partial mounts, escapes, damage) and the walk up a fake
 * hierarchy of limit files in a temporary directory (mkdtemp is POSIX), for memory and
 * for the CPU quota that caps the threads (pool_cgroup_cpu_limit). The real limits are
 * tests/cgroup_test.sh's. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "test.h"
#include "util.h"

static char mount[4096], dir[4096];

/* util_cgroup_locate into mount and dir; its return value. */
static int locate(const char *cgroup, const char *mountinfo, const char *controller)
{
    return util_cgroup_locate(cgroup, mountinfo, controller, mount, sizeof mount, dir,
                              sizeof dir);
}

/* This machine's texts as they were read: memory in v1, an empty v2 hierarchy beside it. */
static const char v1_cgroup[] =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/970c215848e8c18d9b00963fbdd16eed\n"
    "3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";
static const char v1_mountinfo[] =
    "23 1 0:21 / / rw,relatime - overlay overlay rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_v1_only(void)
{
    CHECK(locate(v1_cgroup, v1_mountinfo, "memory") == 0);
    CHECK_STR("/sys/fs/cgroup/memory", mount);
    CHECK_STR("/process_api/970c215848e8c18d9b00963fbdd16eed", dir);
    CHECK(locate(v1_cgroup, v1_mountinfo, "cpu") == 0); /* not cpuacct's line or mount */
    CHECK_STR("/sys/fs/cgroup/cpu", mount);
    CHECK_STR("/", dir);
    CHECK(locate(v1_cgroup, v1_mountinfo, NULL) == 0);
    CHECK_STR("/sys/fs/cgroup/unified", mount);
    CHECK_STR("/", dir);
    /* a v1-only machine: no 0:: line, so no v2 cgroup */
    const char *only = "4:memory:/slurm/uid_1/job_7/step_0\n1:cpu,cpuacct:/slurm\n";
    CHECK(locate(only, v1_mountinfo, NULL) == -1);
    CHECK_STR("", mount);
    CHECK_STR("", dir);
    CHECK(locate(only, v1_mountinfo, "memory") == 0);
    CHECK_STR("/slurm/uid_1/job_7/step_0", dir);
}

static void test_v2_only(void)
{
    const char *cg = "0::/user.slice/user-1000.slice/session-3.scope\n";
    const char *mi =
        "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
        "29 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
        "cgroup2 rw,nsdelegate,memory_recursiveprot\n";
    CHECK(locate(cg, mi, NULL) == 0);
    CHECK_STR("/sys/fs/cgroup", mount);
    CHECK_STR("/user.slice/user-1000.slice/session-3.scope", dir);
    CHECK(locate(cg, mi, "memory") == -1);
    CHECK_STR("", mount);
    CHECK_STR("", dir);
    /* memory_recursiveprot among cgroup2's options is no v1 memory controller */
    CHECK(locate("4:memory:/x\n", mi, "memory") == 0);
    CHECK_STR("/sys/fs/cgroup/memory", mount); /* no v1 memory mount: the usual place */
}

static void test_hybrid(void)
{
    /* systemd's hybrid layout (Ubuntu 20.04): controllers in v1, the 0:: line for unified */
    const char *cg = "12:hugetlb:/\n11:cpu,cpuacct:/user.slice\n"
                     "6:memory:/user.slice/user-1000.slice/session-2.scope\n"
                     "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
                     "0::/user.slice/user-1000.slice/session-2.scope\n";
    const char *mi =
        "25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
        "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - "
        "cgroup2 cgroup2 rw,nsdelegate\n"
        "27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - "
        "cgroup cgroup rw,xattr,name=systemd\n"
        "33 25 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - "
        "cgroup cgroup rw,cpu,cpuacct\n"
        "34 25 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - "
        "cgroup cgroup rw,memory\n";
    CHECK(locate(cg, mi, "memory") == 0);
    CHECK_STR("/sys/fs/cgroup/memory", mount);
    CHECK_STR("/user.slice/user-1000.slice/session-2.scope", dir);
    CHECK(locate(cg, mi, NULL) == 0);
    CHECK_STR("/sys/fs/cgroup/unified", mount);
    CHECK_STR("/user.slice/user-1000.slice/session-2.scope", dir);
    CHECK(locate(cg, mi, "cpuacct") == 0);
    CHECK_STR("/sys/fs/cgroup/cpu,cpuacct", mount);
    CHECK_STR("/user.slice", dir);
}

static void test_joined_controllers(void)
{
    const char *cg = "5:name=systemd:/a\n4:hugetlb,memory,pids:/job_12/step_batch\n";
    const char *mi = "40 31 0:37 / /sys/fs/cgroup/hugetlb,memory,pids rw - cgroup none "
                     "rw,hugetlb,memory,pids\n";
    CHECK(locate(cg, mi, "memory") == 0);
    CHECK_STR("/sys/fs/cgroup/hugetlb,memory,pids", mount);
    CHECK_STR("/job_12/step_batch", dir);
    CHECK(locate("4:memory,hugetlb:/x\n", "1 0 0:1 / /cg rw - cgroup cg rw,memory,hugetlb\n",
                 "memory") == 0);
    CHECK_STR("/cg", mount);
    CHECK_STR("/x", dir);
    /* a name is a whole item of the list, never a part of one */
    CHECK(locate("4:memoryx,xmemory,name=memory:/x\n", NULL, "memory") == -1);
    CHECK(locate("4:memory:/x\n", "1 0 0:1 / /cg rw - cgroup cg rw,memoryx\n", "memory") == 0);
    CHECK_STR("/sys/fs/cgroup/memory", mount);
}

static void test_no_memory_line(void)
{
    const char *cg = "9:name=systemd:/\n8:pids:/\n3:cpuset:/\n1:cpu,cpuacct:/\n0::/\n";
    CHECK(locate(cg, v1_mountinfo, "memory") == -1);
    CHECK_STR("", mount);
    CHECK_STR("", dir);
    CHECK(locate("", v1_mountinfo, "memory") == -1);
    CHECK(locate("", v1_mountinfo, NULL) == -1);
    CHECK(locate(NULL, v1_mountinfo, "memory") == -1); /* /proc/self/cgroup unreadable */
    CHECK(locate(NULL, NULL, NULL) == -1);
}

static void test_mount_fallback(void)
{
    /* mountinfo unreadable, or naming no mount of the hierarchy: the usual places */
    CHECK(locate(v1_cgroup, NULL, "memory") == 0);
    CHECK_STR("/sys/fs/cgroup/memory", mount);
    CHECK_STR("/process_api/970c215848e8c18d9b00963fbdd16eed", dir);
    CHECK(locate(v1_cgroup, "", NULL) == 0);
    CHECK_STR("/sys/fs/cgroup", mount);
    CHECK_STR("/", dir);
}

static void test_partial_mounts(void)
{
    /* a container that sees only its part of the hierarchy (mount root /docker/abc) */
    const char *mi = "50 49 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n";
    CHECK(locate("4:memory:/docker/abc\n", mi, "memory") == 0);
    CHECK_STR("/sys/fs/cgroup/memory", mount);
    CHECK_STR("/", dir);
    CHECK(locate("4:memory:/docker/abc/inner\n", mi, "memory") == 0);
    CHECK_STR("/inner", dir);
    /* outside the mount's root: nothing to read, and not the usual place either */
    CHECK(locate("4:memory:/docker/abcd\n", mi, "memory") == -1);
    CHECK(locate("4:memory:/docker\n", mi, "memory") == -1);
    CHECK_STR("", mount);
    /* two mounts: the first whose root holds the cgroup */
    char two[512];
    snprintf(two, sizeof two, "%s%s", mi,
             "51 49 0:32 / /mnt/all rw - cgroup cgroup rw,memory\n");
    CHECK(locate("4:memory:/slurm/job_1\n", two, "memory") == 0);
    CHECK_STR("/mnt/all", mount);
    CHECK_STR("/slurm/job_1", dir);
    CHECK(locate("4:memory:/docker/abc/x\n", two, "memory") == 0);
    CHECK_STR("/sys/fs/cgroup/memory", mount);
    CHECK_STR("/x", dir);
    /* a cgroup outside this cgroup namespace has no directory under any mount */
    CHECK(locate("0::/../../user.slice\n", NULL, NULL) == -1);
    CHECK(locate("4:memory:/..\n", NULL, "memory") == -1);
    CHECK(locate("4:memory:/..a/b\n", NULL, "memory") == 0); /* only a whole ".." */
    CHECK_STR("/..a/b", dir);
}

static void test_odd_text(void)
{
    /* octal escapes in mountinfo paths (proc(5)): a space and a backslash */
    CHECK(locate("4:memory:/a b\n",
                 "1 0 0:1 /a\\040b /mnt/cg\\040mem\\134x rw - cgroup cgroup rw,memory\n",
                 "memory") == 0);
    CHECK_STR("/mnt/cg mem\\x", mount);
    CHECK_STR("/", dir);
    /* optional fields before "-", several of them, and none */
    CHECK(locate("4:memory:/x\n", "1 0 0:1 / /m rw shared:3 master:1 propagate_from:2 - cgroup "
                 "cgroup rw,memory\n", "memory") == 0);
    CHECK_STR("/m", mount);
    /* a colon in a cgroup's name, no final newline, CRLF-free lines only */
    CHECK(locate("4:memory:/a:b", NULL, "memory") == 0);
    CHECK_STR("/a:b", dir);
    /* damaged lines are skipped: no "-", too few fields, no path, no colons */
    const char *mi = "1 0 0:1 / /bad1 rw cgroup cgroup rw,memory\n"
                     "2 0 0:1 /\n"
                     "garbage\n"
                     "\n"
                     "3 0 0:1 / /good rw - cgroup cgroup rw,memory\n";
    CHECK(locate("4:memory:/x\n", mi, "memory") == 0);
    CHECK_STR("/good", mount);
    CHECK(locate("garbage\n4:memory\n4:memory:x\n4:memory:\n", NULL, "memory") == -1);
    CHECK(locate("0:x:/a\n", NULL, NULL) == -1); /* a v2 line has no controllers */
    CHECK(locate("10::/a\n", NULL, NULL) == -1);
}

static void test_too_long(void)
{
    char small_mount[8], small_dir[8];
    CHECK(util_cgroup_locate("4:memory:/abcdefgh\n", NULL, "memory", small_mount,
                             sizeof small_mount, small_dir, sizeof small_dir) == -1);
    CHECK_STR("", small_mount);
    CHECK_STR("", small_dir);
    CHECK(util_cgroup_locate("4:memory:/ab\n", "1 0 0:1 / /much/too/long rw - cgroup c "
                             "rw,memory\n", "memory", small_mount, sizeof small_mount,
                             small_dir, sizeof small_dir) == -1);
    CHECK_STR("", small_mount);
    CHECK_STR("", small_dir);
    CHECK(util_cgroup_locate("4:memory:/ab\n", "1 0 0:1 / /mnt rw - cgroup c rw,memory\n",
                             "memory", small_mount, sizeof small_mount, small_dir,
                             sizeof small_dir) == 0);
    CHECK_STR("/mnt", small_mount);
    CHECK_STR("/ab", small_dir);
    /* a path longer than any buffer of the real reading is refused, not cut */
    static char huge[6000];
    memcpy(huge, "4:memory:/", 10);
    memset(huge + 10, 'a', sizeof huge - 11);
    CHECK(locate(huge, NULL, "memory") == -1);
}

/* The walk over limit files, in a fake tree under a temporary directory: v1 at tmp/v1,
 * v2 at tmp/v2, the process in /slurm/job_7/step_0 of both. */
static char tmp[] = "/tmp/test_cgroup_XXXXXX";
static char cg_text[256], mi_text[1024];

static void put(const char *version, const char *cgroup, const char *file, const char *text)
{
    char path[512];
    Err e;
    snprintf(path, sizeof path, "%s/%s%s", tmp, version, cgroup);
    CHECK(util_mkdirs(path, &e) == 0);
    snprintf(path, sizeof path, "%s/%s%s/%s", tmp, version, cgroup, file);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        CHECK(fclose(f) == 0);
    }
}

static void clear(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s/v1 %s/v2", tmp, tmp);
    CHECK(system(cmd) == 0);
}

static long long left(const char **what)
{
    *what = "unchanged";
    return util_cgroup_memory_left(cg_text, mi_text, what);
}

static void test_walk_v1(void)
{
    const char *what;
    clear();
    put("v1", "", "memory.limit_in_bytes", "9223372036854771712\n");
    put("v1", "/slurm", "memory.limit_in_bytes", "9223372036854771712\n");
    put("v1", "/slurm/job_7", "memory.limit_in_bytes", "1073741824\n");
    put("v1", "/slurm/job_7", "memory.usage_in_bytes", "73741824\n");
    put("v1", "/slurm/job_7/step_0", "memory.limit_in_bytes", "9223372036854771712\n");
    put("v1", "/slurm/job_7/step_0", "memory.usage_in_bytes", "5000000\n");
    CHECK(left(&what) == 1000000000); /* the job's limit, from the step below it */
    CHECK_STR("the cgroup's memory.limit_in_bytes", what);
    /* a tighter step limit wins; usage over the limit leaves 0 */
    put("v1", "/slurm/job_7/step_0", "memory.limit_in_bytes", "4000000\n");
    CHECK(left(&what) == 0);
    put("v1", "/slurm/job_7/step_0", "memory.limit_in_bytes", "600000000\n");
    CHECK(left(&what) == 595000000);
    /* an ancestor without hierarchical accounting does not bind; the cgroup itself does */
    put("v1", "/slurm/job_7", "memory.use_hierarchy", "0\n");
    put("v1", "/slurm/job_7/step_0", "memory.use_hierarchy", "0\n");
    put("v1", "/slurm/job_7/step_0", "memory.limit_in_bytes", "9223372036854771712\n");
    CHECK(left(&what) == -1);
    CHECK_STR("unchanged", what);
    put("v1", "/slurm/job_7", "memory.use_hierarchy", "1\n");
    CHECK(left(&what) == 1000000000);
    /* 2^62 and more is "no limit" (the kernel's page-rounded LLONG_MAX); just below is one */
    put("v1", "/slurm/job_7", "memory.limit_in_bytes", "4611686018427387904\n");
    CHECK(left(&what) == -1);
    put("v1", "/slurm/job_7", "memory.limit_in_bytes", "4611686018427387903\n");
    CHECK(left(&what) == 4611686018427387903LL - 73741824);
    /* no usage file: the limit itself; a damaged limit file: no limit */
    put("v1", "/slurm/job_7", "memory.limit_in_bytes", "2000000000\n");
    char usage[512];
    snprintf(usage, sizeof usage, "%s/v1/slurm/job_7/memory.usage_in_bytes", tmp);
    CHECK(remove(usage) == 0);
    CHECK(left(&what) == 2000000000);
    /* the inactive page cache is not counted as used: the kernel reclaims it first */
    put("v1", "/slurm/job_7", "memory.usage_in_bytes", "1500000000\n");
    put("v1", "/slurm/job_7", "memory.stat",
        "cache 1300000000\ninactive_file 9\ntotal_cache 1300000000\n"
        "total_inactive_file 1200000000\n");
    CHECK(left(&what) == 1700000000);
    put("v1", "/slurm/job_7", "memory.stat", "total_inactive_file 1600000000\n");
    CHECK(left(&what) == 2000000000); /* more cache than usage (raced): none used */
    put("v1", "/slurm/job_7", "memory.stat", "total_inactive_file_x 5\ntotal_inactive_file x\n");
    CHECK(left(&what) == 500000000); /* no such line: the usage as it is */
    put("v1", "/slurm/job_7", "memory.limit_in_bytes", "2000000000 bytes\n");
    CHECK(left(&what) == -1);
    put("v1", "/slurm/job_7", "memory.limit_in_bytes", "-1\n");
    CHECK(left(&what) == -1);
}

static void test_walk_v2_and_both(void)
{
    const char *what;
    clear();
    put("v2", "/slurm/job_7/step_0", "memory.max", "max\n");
    put("v2", "/slurm/job_7/step_0", "memory.current", "1000\n");
    put("v2", "/slurm/job_7", "memory.max", "max\n");
    CHECK(left(&what) == -1);
    put("v2", "/slurm/job_7", "memory.max", "3000000000\n");
    put("v2", "/slurm/job_7", "memory.current", "1000000000\n");
    CHECK(left(&what) == 2000000000);
    CHECK_STR("the cgroup's memory.max", what);
    put("v2", "/slurm/job_7", "memory.stat", "anon 600000000\nfile 400000000\n"
        "active_file 100000000\ninactive_file 300000000\n");
    CHECK(left(&what) == 2300000000LL);
    put("v2", "/slurm/job_7", "memory.stat", "anon 600000000\n");
    /* a v2 limit has no 2^62 rule and no use_hierarchy */
    put("v2", "/slurm/job_7", "memory.use_hierarchy", "0\n");
    CHECK(left(&what) == 2000000000);
    /* both versions: the tighter one, named */
    put("v1", "/slurm/job_7", "memory.limit_in_bytes", "1500000000\n");
    put("v1", "/slurm/job_7", "memory.usage_in_bytes", "0\n");
    CHECK(left(&what) == 1500000000);
    CHECK_STR("the cgroup's memory.limit_in_bytes", what);
    put("v2", "/slurm/job_7", "memory.current", "2000000000\n");
    CHECK(left(&what) == 1000000000);
    CHECK_STR("the cgroup's memory.max", what);
}

/* CPU quotas: v1's cpu controller joined with cpuacct, as systemd and Docker mount it, and
 * v2's cpu.max, each of the cgroup and its parents; the tightest counts. */
static void test_walk_cpu(void)
{
    char cg[256], mi[1024];
    snprintf(cg, sizeof cg, "5:cpu,cpuacct:/slurm/job_7/step_0\n0::/slurm/job_7/step_0\n");
    snprintf(mi, sizeof mi,
             "1 0 0:1 / %s/v1 rw - cgroup cgroup rw,cpu,cpuacct\n"
             "2 0 0:2 / %s/v2 rw - cgroup2 cgroup2 rw\n", tmp, tmp);
    clear();
    CHECK(pool_cgroup_cpu_limit(cg, mi) == 0);
    CHECK(pool_cgroup_cpu_limit(NULL, NULL) == 0);
    put("v1", "", "cpu.cfs_quota_us", "-1\n");
    put("v1", "", "cpu.cfs_period_us", "100000\n");
    put("v1", "/slurm/job_7", "cpu.cfs_quota_us", "150000\n");
    put("v1", "/slurm/job_7", "cpu.cfs_period_us", "100000\n");
    put("v1", "/slurm/job_7/step_0", "cpu.cfs_quota_us", "-1\n");
    put("v1", "/slurm/job_7/step_0", "cpu.cfs_period_us", "100000\n");
    CHECK(pool_cgroup_cpu_limit(cg, mi) == 2); /* the job's 1.5 CPUs, from the step below */
    put("v1", "/slurm/job_7/step_0", "cpu.cfs_quota_us", "50000\n");
    CHECK(pool_cgroup_cpu_limit(cg, mi) == 1); /* the step's own, tighter */
    put("v1", "/slurm/job_7/step_0", "cpu.cfs_quota_us", "-1\n");
    put("v1", "/slurm/job_7", "cpu.cfs_quota_us", "300000\n");
    CHECK(pool_cgroup_cpu_limit(cg, mi) == 3);
    put("v2", "/slurm/job_7", "cpu.max", "200000 100000\n");
    CHECK(pool_cgroup_cpu_limit(cg, mi) == 2); /* v2 tighter than v1 */
    put("v2", "/slurm/job_7/step_0", "cpu.max", "max 100000\n");
    put("v2", "/slurm/job_7", "cpu.max", "700000 100000\n");
    CHECK(pool_cgroup_cpu_limit(cg, mi) == 3); /* v1 tighter than v2 */
    put("v1", "/slurm/job_7", "cpu.cfs_quota_us", "3 CPUs\n");
    CHECK(pool_cgroup_cpu_limit(cg, mi) == 7); /* a damaged v1 file is no quota */
    /* a container that mounts only its own part of the v1 hierarchy */
    snprintf(mi, sizeof mi, "1 0 0:1 /slurm/job_7 %s/v1/slurm/job_7 rw - cgroup cgroup rw,cpu,cpuacct\n",
             tmp);
    put("v1", "/slurm/job_7/step_0", "cpu.cfs_quota_us", "120000\n");
    CHECK(pool_cgroup_cpu_limit(cg, mi) == 2);
}

static void test_this_machine(void)
{
    const char *what = NULL;
    long long avail = util_memory_available(&what);
    CHECK(what != NULL);
    if (what)
        CHECK(strcmp(what, "MemAvailable") == 0 || strcmp(what, "the cgroup's memory.max") == 0 ||
              strcmp(what, "the cgroup's memory.limit_in_bytes") == 0);
    CHECK(avail >= -1);
    char here[4096];
    if (util_cgroup_dir(here, sizeof here) == 0)
        CHECK(here[0] == '/' && strchr(here, '\n') == NULL);
    else
        CHECK(here[0] == '\0');
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_v1_only);
    RUN(test_v2_only);
    RUN(test_hybrid);
    RUN(test_joined_controllers);
    RUN(test_no_memory_line);
    RUN(test_mount_fallback);
    RUN(test_partial_mounts);
    RUN(test_odd_text);
    RUN(test_too_long);
    if (!mkdtemp(tmp))
        return 1;
    snprintf(cg_text, sizeof cg_text,
             "4:memory:/slurm/job_7/step_0\n1:cpu:/\n0::/slurm/job_7/step_0\n");
    snprintf(mi_text, sizeof mi_text,
             "1 0 0:1 / %s/v1 rw - cgroup cgroup rw,memory\n"
             "2 0 0:2 / %s/v2 rw - cgroup2 cgroup2 rw\n", tmp, tmp);
    RUN(test_walk_v1);
    RUN(test_walk_v2_and_both);
    RUN(test_walk_cpu);
    RUN(test_this_machine);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0)
        return 1;
    return test_finish(argv[0]);
}
