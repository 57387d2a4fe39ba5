/* sweep.c - see sweep.h. */
#include "sweep.h"

#include <ctype.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* ---- the syntax: [sweep] lines and --sweep options ---- */

static void variant_free(SweepVariant *v)
{
    for (int i = 0; i < v->n; i++) {
        free(v->set[i].value);
        free(v->set[i].canon);
    }
    free(v->set);
    v->set = NULL;
    v->n = 0;
}

void sweep_free(Sweep *sw)
{
    for (int i = 0; i < sw->n_variants; i++)
        variant_free(&sw->variants[i]);
    free(sw->variants);
    for (int i = 0; i < sw->n_axes; i++) {
        for (int v = 0; v < sw->axes[i].n_values; v++)
            free(sw->axes[i].values[v]);
        free(sw->axes[i].values);
    }
    for (int i = 0; i < sw->n_cli; i++)
        free(sw->cli[i]);
    memset(sw, 0, sizeof *sw);
}

bool sweep_has(const Sweep *sw)
{
    return sw->n_axes > 0 || sw->n_seeds > 0 || sw->n_variants > 0;
}

/* Splits "section.key" (in buf, modified) into its parts and finds the key's row; what
 * prefixes messages, value follows the key in a did-you-mean. -1 with e. */
static int sweep_key(const SweepKeys *k, char *buf, const char *what, const char *value, Err *e)
{
    char *dot = strchr(buf, '.');
    const char *section = NULL, *key = buf;
    if (dot) {
        *dot = '\0';
        section = util_trim(buf);
        key = util_trim(dot + 1);
    }
    return k->find(k->ctx, what, section, key, value, e);
}

static int axis_of(const Sweep *sw, int key)
{
    for (int a = 0; a < sw->n_axes; a++)
        if (sw->axes[a].key == key)
            return a;
    return -1;
}

/* One swept key: "section.key" = "v1 | v2 | v3"; line > 0 for a line of the source, else
 * -n for the n-th --sweep option. */
static int add_axis(Sweep *sw, const SweepKeys *k, const char *what, const char *name,
                    const char *list, int line, Err *e)
{
    char *buf = xstrdup(name);
    int row = sweep_key(k, buf, what, "v1 | v2", e);
    free(buf);
    if (row < 0)
        return -1;
    char full[64];
    k->name(k->ctx, row, full, sizeof full);
    int prev = axis_of(sw, row);
    if (prev >= 0) {
        if (sw->axes[prev].line > 0)
            return err_set(e, "%s: sweep %s: swept twice (first on line %d)", what, full,
                           sw->axes[prev].line);
        return err_set(e, "%s: sweep %s: swept twice (first by --sweep %s)", what, full,
                       sw->cli[-sw->axes[prev].line - 1]);
    }
    if (sw->n_axes == SWEEP_MAX_AXES)
        return err_set(e, "%s: sweep %s: more than %d swept keys", what, full, SWEEP_MAX_AXES);
    SweepAxis ax = {.key = row, .line = line, .zip = -1};
    util_strlcpy(ax.name, full, sizeof ax.name);
    char *copy = xstrdup(list);
    int count = 1, rc = 0;
    for (const char *p = copy; *p; p++)
        count += *p == '|';
    ax.values = xcalloc((size_t)count, sizeof *ax.values);
    /* Values are compared as the run's config will hold them: "08" after "8" would train
     * the same run twice under two names. */
    char **canon = xcalloc((size_t)count, sizeof *canon);
    char *cursor = copy;
    if (*util_trim(copy) == '\0')
        rc = err_set(e, "%s: sweep %s: empty value list (expected v1 | v2 | ...)", what, full);
    for (int v = 0; rc == 0 && v < count; v++) {
        const char *item = util_next_item(&cursor, '|');
        char msg[1024];
        if (*item == '\0')
            rc = err_set(e, "%s: sweep %s: value %d of %d is empty (expected v1 | v2 | ...)", what,
                         full, v + 1, count);
        else if (k->check(k->ctx, row, item, msg, sizeof msg))
            rc = err_set(e, "%s: sweep %s: value %d: %s", what, full, v + 1, msg);
        char text[SWEEP_VALUE_MAX];
        if (rc == 0)
            k->canon(k->ctx, row, item, text, sizeof text);
        for (int u = 0; rc == 0 && u < ax.n_values; u++) {
            if (strcmp(ax.values[u], item) == 0)
                rc = err_set(e, "%s: sweep %s: '%s' is listed twice", what, full, item);
            else if (strcmp(canon[u], text) == 0)
                rc = err_set(e, "%s: sweep %s: '%s' is the same value as '%s' (listed twice)",
                             what, full, item, ax.values[u]);
        }
        if (rc == 0) {
            canon[ax.n_values] = xstrdup(text);
            ax.values[ax.n_values++] = xstrdup(item);
        }
    }
    for (int v = 0; v < ax.n_values; v++)
        free(canon[v]);
    free(canon);
    free(copy);
    if (rc) {
        for (int v = 0; v < ax.n_values; v++)
            free(ax.values[v]);
        free(ax.values);
        return -1;
    }
    sw->axes[sw->n_axes++] = ax;
    return 0;
}

static int add_zip(Sweep *sw, const SweepKeys *k, const char *what, const char *list, int line,
                   Err *e)
{
    if (sw->n_zips == SWEEP_MAX_ZIPS)
        return err_set(e, "%s: sweep zip: more than %d zip lines", what, SWEEP_MAX_ZIPS);
    int z = sw->n_zips;
    char *copy = xstrdup(list), *cursor = copy, *item;
    int rc = 0;
    sw->zip_n[z] = 0;
    while (rc == 0 && (item = util_next_item(&cursor, ',')) != NULL) {
        if (*item == '\0')
            rc = err_set(e, "%s: sweep zip: empty key in '%s' (expected zip = section.key, "
                         "section.key, ...)", what, list);
        else if (sw->zip_n[z] == SWEEP_MAX_AXES)
            rc = err_set(e, "%s: sweep zip: more than %d keys", what, SWEEP_MAX_AXES);
        else {
            int row = sweep_key(k, item, what, "v1 | v2", e);
            if (row < 0) {
                rc = -1;
            } else {
                k->name(k->ctx, row, sw->zip_names[z][sw->zip_n[z]], sizeof sw->zip_names[z][0]);
                sw->zip_keys[z][sw->zip_n[z]++] = row;
            }
        }
    }
    free(copy);
    if (rc)
        return -1;
    if (sw->zip_n[z] < 2)
        return err_set(e, "%s: sweep zip: '%s' names one key (expected two or more keys to pair)",
                       what, list);
    sw->zip_line[z] = line;
    sw->n_zips++;
    return 0;
}

static int add_seeds(Sweep *sw, const char *what, const char *list, int line, Err *e)
{
    if (sw->seeds_line)
        return err_set(e, "%s: sweep seeds: given twice (first on line %d)", what, sw->seeds_line);
    char *copy = xstrdup(list), *cursor = copy;
    const char *item;
    int rc = 0;
    sw->n_seeds = 0;
    while (rc == 0 && (item = util_next_item(&cursor, ',')) != NULL) {
        unsigned long long v;
        int prc = util_parse_ullong(item, &v);
        if (*item == '\0')
            rc = err_set(e, "%s: sweep seeds: empty item in '%s' (expected seeds = 1, 2, 3)", what,
                         list);
        else if (prc)
            rc = err_set(e, "%s: sweep seeds: '%s' is not a seed (expected integers in [0, %llu])",
                         what, item, ULLONG_MAX);
        else if (sw->n_seeds == SWEEP_MAX_SEEDS)
            rc = err_set(e, "%s: sweep seeds: more than %d seeds", what, SWEEP_MAX_SEEDS);
        for (int i = 0; rc == 0 && i < sw->n_seeds; i++)
            if (sw->seeds[i] == v)
                rc = err_set(e, "%s: sweep seeds: %llu is listed twice", what, v);
        if (rc == 0)
            sw->seeds[sw->n_seeds++] = v;
    }
    free(copy);
    if (rc) {
        sw->n_seeds = 0;
        return -1;
    }
    sw->seeds_line = line;
    return 0;
}

#define VARIANT_SYNTAX "'variant NAME = section.key = value & section.key = value'"

/* Whether a and b set the same keys to the same values (in any order). */
static bool same_assignments(const SweepVariant *a, const SweepVariant *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++) {
        int j = 0;
        while (j < b->n && b->set[j].key != a->set[i].key)
            j++;
        if (j == b->n || strcmp(a->set[i].canon, b->set[j].canon) != 0)
            return false;
    }
    return true;
}

/* A variant's name becomes part of its runs' directory names: letters, digits, '.', '_'
 * and '-', a letter or digit first (so never "." or ".."). */
static int check_variant_name(const char *what, const char *name, Err *e)
{
    size_t len = strlen(name);
    if (len == 0)
        return err_set(e, "%s: sweep variant: missing name (expected " VARIANT_SYNTAX ")", what);
    if (len >= SWEEP_NAME_MAX)
        return err_set(e, "%s: sweep variant %.*s...: name of %zu bytes (expected at most %d)",
                       what, 20, name, len, SWEEP_NAME_MAX - 1);
    for (const char *p = name; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (!(isalnum(ch) || (p > name && (ch == '.' || ch == '_' || ch == '-'))))
            return err_set(e, "%s: sweep variant '%s': the name may hold letters, digits, '.', "
                           "'_' and '-', a letter or digit first (it names the runs' "
                           "directories)", what, name);
    }
    return 0;
}

/* Reads "section.key = value" items separated by '&' into v. -1 with e. */
static int parse_variant(SweepVariant *v, const SweepKeys *k, const char *what, const char *list,
                         Err *e)
{
    char *copy = xstrdup(list), *cursor = copy, *item;
    int count = 1, rc = 0;
    for (const char *p = copy; *p; p++)
        count += *p == '&';
    if (*util_trim(copy) == '\0')
        count = 0; /* "variant NAME =": the config's own values */
    v->set = xcalloc((size_t)(count ? count : 1), sizeof *v->set);
    for (int i = 0; rc == 0 && i < count && (item = util_next_item(&cursor, '&')) != NULL; i++) {
        char *eq = strchr(item, '=');
        if (*item == '\0')
            rc = err_set(e, "%s: sweep variant %s: assignment %d of %d is empty (expected "
                         VARIANT_SYNTAX ")", what, v->name, i + 1, count);
        else if (!eq)
            rc = err_set(e, "%s: sweep variant %s: '%s' is not an assignment (expected "
                         VARIANT_SYNTAX ")", what, v->name, item);
        else if (v->n == SWEEP_MAX_VARIANT_KEYS)
            rc = err_set(e, "%s: sweep variant %s: more than %d assignments", what, v->name,
                         SWEEP_MAX_VARIANT_KEYS);
        if (rc)
            break;
        *eq = '\0';
        const char *value = util_trim(eq + 1);
        util_trim(item); /* the blanks before '=' */
        int row = sweep_key(k, item, what, value, e);
        if (row < 0) {
            rc = -1;
            break;
        }
        SweepAssign a = {.key = row};
        k->name(k->ctx, row, a.name, sizeof a.name);
        char msg[1024];
        for (int j = 0; rc == 0 && j < v->n; j++)
            if (v->set[j].key == row)
                rc = err_set(e, "%s: sweep variant %s: %s is set twice (expected each key once)",
                             what, v->name, a.name);
        if (rc == 0 && *value == '\0')
            rc = err_set(e, "%s: sweep variant %s: %s: empty value (expected " VARIANT_SYNTAX
                         ")", what, v->name, a.name);
        else if (rc == 0 && k->check(k->ctx, row, value, msg, sizeof msg))
            rc = err_set(e, "%s: sweep variant %s: %s: %s", what, v->name, a.name, msg);
        if (rc)
            break;
        char text[SWEEP_VALUE_MAX];
        k->canon(k->ctx, row, value, text, sizeof text);
        a.value = xstrdup(value);
        a.canon = xstrdup(text);
        v->set[v->n++] = a;
    }
    free(copy);
    return rc;
}

/* "variant NAME = assignments": name is the text after "variant". */
static int add_variant(Sweep *sw, const SweepKeys *k, const char *what, const char *name,
                       const char *list, int line, Err *e)
{
    if (check_variant_name(what, name, e))
        return -1;
    for (int i = 0; i < sw->n_variants; i++)
        if (strcmp(sw->variants[i].name, name) == 0)
            return err_set(e, "%s: sweep variant %s: named twice (first on line %d)", what, name,
                           sw->variants[i].line);
    if (sw->n_variants == SWEEP_MAX_VARIANTS)
        return err_set(e, "%s: sweep variant %s: more than %d variants", what, name,
                       SWEEP_MAX_VARIANTS);
    SweepVariant v = {.line = line};
    util_strlcpy(v.name, name, sizeof v.name);
    if (parse_variant(&v, k, what, list, e)) {
        variant_free(&v);
        return -1;
    }
    for (int i = 0; i < sw->n_variants; i++) {
        const SweepVariant *u = &sw->variants[i];
        if (same_assignments(u, &v)) {
            variant_free(&v);
            if (u->n == 0)
                return err_set(e, "%s: sweep variant %s: the config's own values, as variant %s "
                               "(line %d) already is (expected variants that differ in at least "
                               "one value)", what, name, u->name, u->line);
            return err_set(e, "%s: sweep variant %s: the same assignments as variant %s (line %d) "
                           "(expected variants that differ in at least one value)", what, name,
                           u->name, u->line);
        }
    }
    sw->variants = xrealloc(sw->variants, (size_t)(sw->n_variants + 1) * sizeof *sw->variants);
    sw->variants[sw->n_variants++] = v;
    return 0;
}

int sweep_line(Sweep *sw, const SweepKeys *k, const char *what, const char *key,
               const char *value, int line, Err *e)
{
    if (strcmp(key, "seeds") == 0)
        return add_seeds(sw, what, value, line, e);
    if (strcmp(key, "zip") == 0)
        return add_zip(sw, k, what, value, line, e);
    /* "variant NAME": the INI reader splits at the first '=', so the name is in the key */
    size_t word = strcspn(key, " \t");
    if (word == 7 && strncmp(key, "variant", 7) == 0) {
        char *name = xstrdup(key + word);
        int rc = add_variant(sw, k, what, util_trim(name), value, line, e);
        free(name);
        return rc;
    }
    if (strcmp(key, "variant") == 0)
        return err_set(e, "%s: sweep variant: missing name (expected " VARIANT_SYNTAX ")", what);
    if (key[word] != '\0' && !strchr(key, '.'))
        return err_set(e, "%s: sweep: '%s' is not a [sweep] line (expected " VARIANT_SYNTAX
                       ", 'section.key = v1 | v2', 'zip = section.key, section.key' or "
                       "'seeds = 1, 2, 3')", what, key);
    return add_axis(sw, k, what, key, value, line, e);
}

int sweep_option(Sweep *sw, const SweepKeys *k, const char *assignment, Err *e)
{
    char what[1200];
    snprintf(what, sizeof what, "--sweep %.1100s", assignment);
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return err_set(e, "%s: missing '=' (expected section.key=v1|v2|...)", what);
    if (sw->n_cli == SWEEP_MAX_AXES)
        return err_set(e, "%s: more than %d --sweep options", what, SWEEP_MAX_AXES);
    char *name = xstrdup(assignment);
    name[eq - assignment] = '\0';
    sw->cli[sw->n_cli] = xstrdup(assignment);
    int rc = add_axis(sw, k, what, name, eq + 1, -(sw->n_cli + 1), e);
    free(name);
    if (rc < 0) {
        free(sw->cli[sw->n_cli]);
        return -1;
    }
    sw->n_cli++;
    return 0;
}

void sweep_axis_where(const Sweep *sw, const SweepAxis *ax, const char *source, char *buf,
                      size_t n)
{
    if (ax->line > 0)
        snprintf(buf, n, "%s:%d", source, ax->line);
    else
        snprintf(buf, n, "--sweep %s", sw->cli[-ax->line - 1]);
}

/* ---- the runs ---- */

/* Groups of axes that advance together: a zip, or one crossed axis; *values per group. */
static int sweep_groups(const Sweep *sw, int *first_axis, long *values)
{
    int n = 0;
    for (int a = 0; a < sw->n_axes; a++) {
        const SweepAxis *ax = &sw->axes[a];
        int seen = 0;
        for (int b = 0; b < a; b++)
            seen |= ax->zip >= 0 && sw->axes[b].zip == ax->zip;
        if (seen)
            continue;
        first_axis[n] = a;
        values[n++] = ax->n_values;
    }
    return n;
}

int sweep_check(Sweep *sw, const char *source, long max_runs, long *n_runs, Err *e)
{
    char w[PARAMS_PATH_MAX + 1200];
    for (int z = 0; z < sw->n_zips; z++) {
        snprintf(w, sizeof w, "%s:%d", source, sw->zip_line[z]);
        int first = -1;
        for (int i = 0; i < sw->zip_n[z]; i++) {
            const char *name = sw->zip_names[z][i];
            int a = axis_of(sw, sw->zip_keys[z][i]);
            if (a < 0)
                return err_set(e, "%s: sweep zip: %s is not swept (expected keys with a "
                               "'section.key = v1 | v2' line)", w, name);
            if (sw->axes[a].zip >= 0 && sw->axes[a].zip != z)
                return err_set(e, "%s: sweep zip: %s is already zipped on line %d", w, name,
                               sw->zip_line[sw->axes[a].zip]);
            if (first >= 0 && sw->axes[a].n_values != sw->axes[first].n_values)
                return err_set(e, "%s: sweep zip: %s has %d values but %s has %d (expected "
                               "lists of the same length)", w, sw->axes[first].name,
                               sw->axes[first].n_values, name, sw->axes[a].n_values);
            sw->axes[a].zip = z;
            if (first < 0)
                first = a;
        }
    }
    /* A variant's key takes the variant's value, a swept key each of its values: never both. */
    for (int v = 0; v < sw->n_variants; v++) {
        const SweepVariant *var = &sw->variants[v];
        for (int i = 0; i < var->n; i++) {
            int a = axis_of(sw, var->set[i].key);
            if (a < 0)
                continue;
            char where[PARAMS_PATH_MAX + 1200];
            sweep_axis_where(sw, &sw->axes[a], source, where, sizeof where);
            return err_set(e, "%s:%d: sweep variant %s: %s is also swept (%s); expected a key "
                           "set by the variants or swept, not both", source, var->line, var->name,
                           var->set[i].name, where);
        }
    }
    int first_axis[SWEEP_MAX_AXES];
    long values[SWEEP_MAX_AXES];
    int groups = sweep_groups(sw, first_axis, values);
    double total = sw->n_seeds > 0 ? sw->n_seeds : 1;
    char product[512] = "";
    size_t len = 0;
    if (sw->n_variants > 0) {
        total *= sw->n_variants;
        len += (size_t)snprintf(product, sizeof product, "%d variant%s", sw->n_variants,
                                sw->n_variants == 1 ? "" : "s");
    }
    for (int g = 0; g < groups; g++) {
        total *= (double)values[g];
        len += (size_t)snprintf(product + len, len < sizeof product ? sizeof product - len : 0,
                                "%s%ld", len ? " x " : "", values[g]);
    }
    if (sw->n_seeds > 0 && len < sizeof product)
        snprintf(product + len, sizeof product - len, "%s%d seeds", len ? " x " : "",
                 sw->n_seeds);
    if (total > (double)max_runs)
        return err_set(e, "%s: the sweep has %.0f runs (%s), more than %ld (expected fewer values, "
                       "or --max-points to raise the limit)", source, total, product, max_runs);
    *n_runs = (long)total;
    return 0;
}

int sweep_check_variants(const Sweep *sw, const SweepKeys *k, const char *source, Err *e)
{
    if (!k->current)
        return 0;
    char mine[SWEEP_VALUE_MAX], own[SWEEP_VALUE_MAX];
    for (int b = 1; b < sw->n_variants; b++) {
        const SweepVariant *vb = &sw->variants[b];
        for (int a = 0; a < b; a++) {
            const SweepVariant *va = &sw->variants[a];
            /* The same run when every key either sets agrees, the config filling the gaps;
             * first names one set by one variant alone, to the config's own value. */
            const SweepVariant *alone = NULL;
            const SweepAssign *first = NULL;
            bool same = true;
            for (int side = 0; side < 2 && same; side++) {
                const SweepVariant *x = side ? vb : va, *y = side ? va : vb;
                for (int i = 0; i < x->n && same; i++) {
                    int j = 0;
                    while (j < y->n && y->set[j].key != x->set[i].key)
                        j++;
                    if (j < y->n) {
                        same = strcmp(x->set[i].canon, y->set[j].canon) == 0;
                        continue;
                    }
                    k->current(k->ctx, x->set[i].key, own, sizeof own);
                    same = strcmp(x->set[i].canon, own) == 0;
                    if (same && !first)
                        alone = x, first = &x->set[i];
                }
            }
            if (!same)
                continue;
            util_strlcpy(mine, first ? first->value : "", sizeof mine);
            return err_set(e, "%s:%d: sweep variant %s: the same run as variant %s (line %d): "
                           "variant %s sets %s = %s, the config's own value (expected variants "
                           "that differ in at least one value)", source, vb->line, vb->name,
                           va->name, va->line, alone ? alone->name : vb->name,
                           first ? first->name : "nothing", mine);
        }
    }
    return 0;
}

void sweep_point(const Sweep *sw, long index, SweepPoint *pt)
{
    long n_seeds = sw->n_seeds > 0 ? sw->n_seeds : 1;
    memset(pt, 0, sizeof *pt);
    pt->index = index;
    pt->point = index / n_seeds;
    pt->seed = index % n_seeds;
    int first_axis[SWEEP_MAX_AXES];
    long values[SWEEP_MAX_AXES], pick[SWEEP_MAX_AXES];
    int groups = sweep_groups(sw, first_axis, values);
    long rest = pt->point;
    for (int g = groups - 1; g >= 0; g--) { /* the first group varies slowest */
        pick[g] = rest % values[g];
        rest /= values[g];
    }
    pt->variant = -1;
    if (sw->n_variants > 0) { /* slower still: what is left */
        const SweepVariant *v = &sw->variants[rest];
        pt->variant = (int)rest;
        util_strlcpy(pt->variant_name, v->name, sizeof pt->variant_name);
        pt->variant_line = v->line;
        for (int i = 0; i < v->n; i++) {
            snprintf(pt->assignment[pt->n], sizeof pt->assignment[pt->n], "%s=%s", v->set[i].name,
                     v->set[i].value);
            pt->of_variant[pt->n] = true;
            pt->line[pt->n++] = v->line;
        }
    }
    for (int a = 0; a < sw->n_axes; a++) {
        const SweepAxis *ax = &sw->axes[a];
        int g = 0;
        while (g < groups && !(first_axis[g] == a ||
                               (ax->zip >= 0 && sw->axes[first_axis[g]].zip == ax->zip)))
            g++;
        snprintf(pt->assignment[pt->n], sizeof pt->assignment[pt->n], "%s=%s", ax->name,
                 ax->values[pick[g]]);
        pt->line[pt->n++] = ax->line;
    }
    if (sw->n_seeds > 0) {
        snprintf(pt->assignment[pt->n], sizeof pt->assignment[pt->n], "train.seed=%llu",
                 sw->seeds[pt->seed]);
        pt->line[pt->n++] = sw->seeds_line;
    }
}

void sweep_point_text(const SweepPoint *pt, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    int i = 0;
    if (pt->variant >= 0) {
        len += (size_t)snprintf(buf, n, "variant=%s", pt->variant_name);
        for (; i < pt->n && pt->of_variant[i] && len < n; i++)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? " & " : " (",
                                    pt->assignment[i]);
        if (i > 0 && len < n)
            len += (size_t)snprintf(buf + len, n - len, ")");
    }
    for (; i < pt->n && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", pt->assignment[i]);
}

void sweep_print(const Sweep *sw, FILE *f)
{
    if (!sweep_has(sw))
        return;
    fputs("\n[sweep]\n", f);
    for (int v = 0; v < sw->n_variants; v++) {
        const SweepVariant *var = &sw->variants[v];
        fprintf(f, "variant %s =", var->name);
        for (int i = 0; i < var->n; i++)
            fprintf(f, "%s%s = %s", i ? " & " : " ", var->set[i].name, var->set[i].value);
        fputc('\n', f);
    }
    for (int a = 0; a < sw->n_axes; a++) {
        const SweepAxis *ax = &sw->axes[a];
        fprintf(f, "%s =", ax->name);
        for (int v = 0; v < ax->n_values; v++)
            fprintf(f, "%s%s", v ? " | " : " ", ax->values[v]);
        fputc('\n', f);
    }
    for (int z = 0; z < sw->n_zips; z++) {
        fputs("zip =", f);
        for (int i = 0; i < sw->zip_n[z]; i++)
            fprintf(f, "%s%s", i ? ", " : " ", sw->zip_names[z][i]);
        fputc('\n', f);
    }
    if (sw->n_seeds > 0) {
        fputs("seeds =", f);
        for (int i = 0; i < sw->n_seeds; i++)
            fprintf(f, "%s%llu", i ? ", " : " ", sw->seeds[i]);
        fputc('\n', f);
    }
}

/* ---- running: Slurm's array syntax, the job threads ---- */


int sweep_array_syntax(const long *idx, long n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (long i = 0; i < n;) {
        long j = i;
        while (j + 1 < n && idx[j + 1] == idx[j] + 1)
            j++;
        int w = j > i ? snprintf(buf + len, size - len, "%s%ld-%ld", len ? "," : "", idx[i], idx[j])
                      : snprintf(buf + len, size - len, "%s%ld", len ? "," : "", idx[i]);
        if (w < 0 || (size_t)w >= size - len)
            return -1;
        len += (size_t)w;
        i = j + 1;
    }
    return 0;
}

typedef struct {
    SweepJob fn;
    void *ctx;
    long n_items;
    atomic_long next;
    volatile sig_atomic_t *stop;
} Jobs;

typedef struct {
    Jobs *jobs;
    int slot;
} Worker;

static void work(Jobs *j, int slot)
{
    for (;;) {
        if (j->stop && *j->stop)
            return;
        long item = atomic_fetch_add(&j->next, 1);
        if (item >= j->n_items)
            return;
        j->fn(j->ctx, item, slot);
    }
}

static int worker_main(void *arg)
{
    Worker *w = arg;
    work(w->jobs, w->slot);
    return 0;
}

int sweep_run_jobs(int n_jobs, long n_items, SweepJob fn, void *ctx, volatile sig_atomic_t *stop)
{
    Jobs j = {.fn = fn, .ctx = ctx, .n_items = n_items, .stop = stop};
    atomic_init(&j.next, 0);
    if (n_jobs < 1)
        n_jobs = 1;
    thrd_t *t = xcalloc((size_t)n_jobs, sizeof *t);
    Worker *w = xcalloc((size_t)n_jobs, sizeof *w);
    int started = 1, rc = 0;
    for (int s = 1; s < n_jobs; s++) {
        w[s] = (Worker){&j, s};
        if (thrd_create(&t[s], worker_main, &w[s]) != thrd_success) {
            rc = -1;
            break;
        }
        started++;
    }
    work(&j, 0);
    for (int s = 1; s < started; s++)
        thrd_join(t[s], NULL);
    free(t);
    free(w);
    return rc;
}
