/* progress.c - see progress.h. Terminal control is two ANSI sequences (cursor up, erase
 * line) and isatty/ioctl, from POSIX. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <threads.h>
#include <unistd.h>

#include "util.h"

#define LINE_MAX_BYTES 512

struct Progress {
    FILE *f;
    int live;
    int n_lines;            /* header (if any) + slots */
    int header;
    char (*text)[LINE_MAX_BYTES];
    int drawn;              /* live lines on screen now */
    double last_draw;
    mtx_t mu;
};

int progress_is_terminal(FILE *f)
{
    return f && isatty(fileno(f));
}

Progress *progress_create(FILE *f, int n_slots, int header, int live)
{
    Progress *p = xcalloc(1, sizeof *p);
    p->f = f;
    p->live = live && f;
    p->header = header ? 1 : 0;
    p->n_lines = n_slots + p->header;
    p->text = xcalloc((size_t)p->n_lines, sizeof *p->text);
    if (mtx_init(&p->mu, mtx_plain) != thrd_success)
        p->live = 0; /* cannot happen on Linux; without the lock, draw nothing live */
    return p;
}

static int columns(const Progress *p)
{
#ifdef TIOCGWINSZ
    struct winsize ws;
    if (ioctl(fileno(p->f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col < LINE_MAX_BYTES ? ws.ws_col : LINE_MAX_BYTES - 1;
#endif
    (void)p;
    return 80;
}

/* Moves up over the live lines and erases them. Called with the lock held. */
static void erase(Progress *p)
{
    if (p->drawn > 0)
        fprintf(p->f, "\033[%dA", p->drawn);
    for (int i = 0; i < p->drawn; i++)
        fputs("\r\033[K\n", p->f);
    if (p->drawn > 0)
        fprintf(p->f, "\033[%dA", p->drawn);
    p->drawn = 0;
}

/* Called with the lock held. Lines are cut to the terminal's width so each takes one row. */
static void draw(Progress *p)
{
    int width = columns(p) - 1;
    erase(p);
    for (int i = 0; i < p->n_lines; i++) {
        if (!p->text[i][0])
            continue;
        fprintf(p->f, "\r\033[K%.*s\n", width, p->text[i]);
        p->drawn++;
    }
    fflush(p->f);
    p->last_draw = util_now();
}

static void update(Progress *p, int line, const char *text)
{
    if (!p || !p->live)
        return;
    mtx_lock(&p->mu);
    util_strlcpy(p->text[line], text, sizeof p->text[line]);
    if (util_now() - p->last_draw >= 0.1 || !text[0])
        draw(p);
    mtx_unlock(&p->mu);
}

void progress_header(Progress *p, const char *text)
{
    if (p && p->header)
        update(p, 0, text);
}

void progress_slot(Progress *p, int slot, const char *text)
{
    if (p && slot >= 0 && slot + p->header < p->n_lines)
        update(p, slot + p->header, text);
}

void progress_print(Progress *p, const char *line)
{
    if (!p || !p->f)
        return;
    if (!p->live) {
        fprintf(p->f, "%s\n", line);
        fflush(p->f);
        return;
    }
    mtx_lock(&p->mu);
    erase(p);
    fprintf(p->f, "%s\n", line);
    draw(p);
    mtx_unlock(&p->mu);
}

void progress_free(Progress *p)
{
    if (!p)
        return;
    if (p->live) {
        erase(p);
        fflush(p->f);
        mtx_destroy(&p->mu);
    }
    free(p->text);
    free(p);
}

void progress_format_duration(char *buf, size_t n, double seconds)
{
    if (!(seconds >= 0) || seconds > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60)
        snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, n, "%lds", s);
}
