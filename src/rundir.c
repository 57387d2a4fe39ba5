/* rundir.c - see rundir.h. Listing a directory (readdir), the record lock (fcntl) and
 * comparing directories (stat) are POSIX: ISO C has no way to. */
#define _POSIX_C_SOURCE 200809L
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"

/* The largest result.csv read: a header and one row; anything far larger is not one. */
#define RESULT_MAX_BYTES (1L << 20)

/* The status result.csv at path holds in its "status" column (found by its name in the
 * header, wherever it stands), or RUN_INCOMPLETE when the file is missing or unreadable,
 * has no such column or row, or names no status a result may hold. */
static RunStatus result_status(const char *path)
{
    CsvTable t;
    Err e;
    if (csv_read(&t, path, RESULT_MAX_BYTES, &e) < 0)
        return RUN_INCOMPLETE;
    int col = csv_column(&t, result_columns[RESULT_COL_STATUS]);
    const char *text = col < 0 ? NULL : csv_cell(&t, 1, col);
    int s = text ? result_status_parse(text) : -1;
    csv_table_free(&t);
    return s < 0 ? RUN_INCOMPLETE : (RunStatus)s;
}

RunStatus rundir_status(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RUNDIR_CONFIG, dir);
    if (util_file_size(path, NULL) < 0)
        return RUN_PENDING;
    snprintf(path, sizeof path, "%s/" RUNDIR_RESULT, dir);
    return result_status(path);
}

bool rundir_finished(RunStatus s)
{
    return s == RUN_OK || s == RUN_DIVERGED;
}

/* 1 when name is one of files[0..n), 2 when it is a "NAME.tmp.PID" temporary of one, else
 * 0. */
static int file_kind(const char *name, const char *const *files, size_t n_files)
{
    for (size_t i = 0; i < n_files; i++) {
        size_t n = strlen(files[i]);
        if (strncmp(name, files[i], n) != 0)
            continue;
        if (name[n] == '\0')
            return 1;
        if (strncmp(name + n, UTIL_ATOMIC_TMP, sizeof UTIL_ATOMIC_TMP - 1) == 0)
            return 2;
    }
    return 0;
}

/* file_kind for a run's files. */
static int run_file(const char *name)
{
    static const char *const files[] = {RUNDIR_RUN_FILES};
    return file_kind(name, files, sizeof files / sizeof files[0]);
}

/* Whether the process whose id ends temporary name ("NAME.tmp.PID") is alive on this
 * host: it may be writing the file (a run claiming the directory writes config.ini's). */
static bool writer_alive(const char *name)
{
    const char *dot = strrchr(name, '.');
    long pid;
    if (!dot || util_parse_long(dot + 1, &pid) != 0 || pid <= 0)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Removes from dir the run's files: all of them, or only the temporaries no live process
 * is writing. */
static int remove_run_files(const char *dir, bool all, Err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : err_set(e, "cannot read directory '%s': %s", dir,
                                             strerror(errno));
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        int kind = run_file(de->d_name);
        if (kind == 0 || (kind == 1 && !all) || (kind == 2 && !all && writer_alive(de->d_name)))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (remove(path) != 0 && errno != ENOENT)
            rc = err_set(e, "cannot remove '%s': %s", path, strerror(errno));
    }
    closedir(d);
    return rc;
}

int rundir_clear(const char *dir, Err *e)
{
    return remove_run_files(dir, true, e);
}

int rundir_clear_temporaries(const char *dir, Err *e)
{
    return remove_run_files(dir, false, e);
}

/* Write-locks bytes [start, start + len) of f (len 0: to the end, and beyond) for this
 * process: 0 when taken, or when the file system has no locks (some network file systems:
 * then nothing guards it); else the process id of the holder, -1 when unknown. */
static long lock_range(FILE *f, off_t start, off_t len)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fileno(f), F_SETLK, &fl) == 0)
        return 0;
    if (errno != EACCES && errno != EAGAIN)
        return 0;
    struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fileno(f), F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
        return (long)who.l_pid;
    return -1;
}

/* Write-locks dir/config.ini for as long as *held stays open (the process's life at
 * most), so a second process never writes into a run directory in use. A POSIX record
 * lock: the system releases it when the process dies, even by kill -9, and drops it when
 * the process closes any descriptor of the file, so nothing else opens config.ini while a
 * run holds it. Returns 0 (held, or the file system has no locks), or the exit code with
 * e when another process holds the run. */
int rundir_lock(const char *dir, FILE **held, Err *e)
{
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" RUNDIR_CONFIG, dir);
    *held = fopen(path, "r+b");
    if (!*held)
        return err_set(e, "cannot open '%s': %s", path, strerror(errno)), RUNDIR_RUNTIME;
    long holder = lock_range(*held, 0, 0);
    if (holder == 0)
        return 0;
    char pid[48] = "another process";
    if (holder > 0)
        snprintf(pid, sizeof pid, "process %ld", holder);
    fclose(*held);
    *held = NULL;
    return err_set(e, "%s: %s is running this run now; wait for it to end (or stop it) before "
                   "continuing the run", dir, pid), RUNDIR_USAGE;
}

FILE *rundir_sweep_lock_open(const char *sweep_dir, Err *e)
{
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_LOCK, sweep_dir);
    FILE *f = fopen(path, "ab"); /* created when missing, never truncated */
    if (!f)
        err_set(e, "cannot open '%s': %s", path, strerror(errno));
    return f;
}

long rundir_sweep_lock_run(FILE *lock, long index)
{
    return lock_range(lock, (off_t)index, 1);
}

void rundir_sweep_unlock_run(FILE *lock, long index)
{
    struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = (off_t)index,
                       .l_len = 1};
    fcntl(fileno(lock), F_SETLK, &fl);
}

/* One of a run's outputs in dir (epochs.csv, result.csv), or NULL when it holds none. */
const char *rundir_holds_run(const char *dir)
{
    static const char *const outputs[] = {RUNDIR_EPOCHS, RUNDIR_RESULT};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        char path[PARAMS_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", dir, outputs[i]);
        if (util_exists(path))
            return outputs[i];
    }
    return NULL;
}

/* Whether paths a and b name the same directory. */
bool rundir_same(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* The files eval writes, and their temporaries. */
static bool eval_file(const char *name)
{
    static const char *const files[] = {RUNDIR_EVAL, RUNDIR_CONFUSION, RUNDIR_PER_CLASS};
    return file_kind(name, files, sizeof files / sizeof files[0]) != 0;
}

/* Makes out (eval's output directory) or takes it when it is empty or holds only what an
 * earlier eval of the run in dir wrote (its eval.csv names that run); anything else in it
 * (another run's files, another run's evaluation, a file eval never writes) is refused:
 * eval never replaces a file it does not own. -1 to go on, else the exit code with e. */
int rundir_claim_eval(const char *out, const char *dir, Err *e)
{
    if (util_mkdirs(out, e) < 0)
        return RUNDIR_RUNTIME;
    if (rundir_same(out, dir))
        return err_set(e, "-o %s: the run directory itself; eval never overwrites the run's own "
                       "confusion.csv (expected another directory, or none for %s/eval)", out,
                       dir), RUNDIR_USAGE;
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" RUNDIR_CONFIG, out);
    if (util_exists(path))
        return err_set(e, "-o %s: holds a run (config.ini); eval never writes into a run's "
                       "directory (expected a new or empty directory, or none for %s/eval)", out,
                       dir), RUNDIR_USAGE;
    DIR *d = opendir(out);
    if (!d)
        return err_set(e, "cannot read directory '%s': %s", out, strerror(errno)), RUNDIR_RUNTIME;
    char foreign[256] = "";
    bool has_eval = false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (!eval_file(de->d_name) && !foreign[0])
            util_strlcpy(foreign, de->d_name, sizeof foreign);
        has_eval |= strcmp(de->d_name, RUNDIR_EVAL) == 0;
    }
    closedir(d);
    if (foreign[0])
        return err_set(e, "-o %s: holds %s, which eval does not write; eval writes only into a "
                       "new or empty directory, or one an earlier eval of the same run wrote "
                       "(expected another -o)", out, foreign), RUNDIR_USAGE;
    if (!has_eval)
        return -1; /* empty, or an earlier eval stopped before its eval.csv */
    snprintf(path, sizeof path, "%s/" RUNDIR_EVAL, out);
    CsvTable t;
    Err why;
    if (csv_read(&t, path, 1 << 20, &why) == 0) {
        int col = csv_column(&t, "run");
        bool mine = col >= 0 && t.n_rows == 2 && rundir_same(csv_cell(&t, 1, col), dir);
        csv_table_free(&t);
        if (mine)
            return -1;
    }
    return err_set(e, "-o %s: holds the evaluation of another run (its eval.csv does not name "
                   "%s); eval never replaces another run's files (expected another -o)", out,
                   dir), RUNDIR_USAGE;
}

