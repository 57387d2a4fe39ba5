/* expr.c - see expr.h. A recursive-descent parser (depth bounded by EXPR_MAX_DEPTH)
 * that emits a postfix program, and a loop that runs it on a fixed stack. It is not a
 * general calculator: no assignment, no user functions, nothing but doubles. */
#include "expr.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define EXPR_MAX_DEPTH 64

enum {
    OP_NUM, OP_EPOCH, OP_ITERATION, OP_BASE_LR,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_NEG,
    OP_EXP, OP_LOG, OP_SQRT, OP_SIN, OP_COS, OP_FLOOR, OP_MIN, OP_MAX
};

/* Names the language knows: variables (arity 0) and functions. */
static const struct {
    const char *name;
    int op, arity;
} expr_names[] = {
    {"epoch", OP_EPOCH, 0}, {"iteration", OP_ITERATION, 0}, {"base_lr", OP_BASE_LR, 0},
    {"exp", OP_EXP, 1},     {"log", OP_LOG, 1},             {"sqrt", OP_SQRT, 1},
    {"sin", OP_SIN, 1},     {"cos", OP_COS, 1},             {"floor", OP_FLOOR, 1},
    {"min", OP_MIN, 2},     {"max", OP_MAX, 2},
};
#define N_NAMES (sizeof expr_names / sizeof expr_names[0])

typedef enum { T_END, T_NUM, T_NAME, T_OP, T_LPAREN, T_RPAREN, T_COMMA, T_BAD } TokKind;

typedef struct {
    const char *text;
    Expr *x;
    Err *e;
    int depth;
    /* current token */
    TokKind kind;
    size_t pos, len;  /* byte offset and length in text */
    char op;          /* T_OP: '+', '-', '*', '/', '^' ('**' is stored as '^') */
    double num;       /* T_NUM */
} Parser;

static int column(const Parser *p)
{
    return (int)p->pos + 1;
}

/* "unexpected end of expression" or "unexpected 'tok'". */
static void describe(const Parser *p, char *buf, size_t n)
{
    if (p->kind == T_END)
        snprintf(buf, n, "unexpected end of expression");
    else
        snprintf(buf, n, "unexpected '%.*s'", (int)(p->len > 40 ? 40 : p->len), p->text + p->pos);
}

static int fail_expected(Parser *p, const char *expected)
{
    char what[96];
    describe(p, what, sizeof what);
    return err_set(p->e, "column %d: %s, expected %s", column(p), what, expected);
}

static int is_name_char(int c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Bytes in the UTF-8 character at s (1 to 4), or 0 when s does not start one: a bad
 * lead byte or a missing continuation byte (overlong forms are not looked for). */
static size_t utf8_length(const char *s)
{
    unsigned char u = (unsigned char)s[0];
    size_t n = u < 0x80 ? 1 : u >= 0xC2 && u <= 0xDF ? 2 : u >= 0xE0 && u <= 0xEF ? 3
             : u >= 0xF0 && u <= 0xF4 ? 4 : 0;
    for (size_t k = 1; k < n; k++)
        if (((unsigned char)s[k] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Reads the token that starts at or after p->pos + p->len. */
static int next(Parser *p)
{
    const char *s = p->text;
    size_t i = p->pos + p->len;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    p->pos = i;
    p->len = 1;
    char c = s[i];
    if (c == '\0') {
        p->kind = T_END;
        p->len = 0;
        return 0;
    }
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)s[i + 1]))) {
        /* C decimal syntax: digits [. digits] [e [+-] digits], or .digits ... */
        size_t j = i;
        while (isdigit((unsigned char)s[j]))
            j++;
        if (s[j] == '.') {
            j++;
            while (isdigit((unsigned char)s[j]))
                j++;
        }
        if ((s[j] == 'e' || s[j] == 'E') &&
            (isdigit((unsigned char)s[j + 1]) ||
             ((s[j + 1] == '+' || s[j + 1] == '-') && isdigit((unsigned char)s[j + 2])))) {
            j += 2;
            while (isdigit((unsigned char)s[j]))
                j++;
        }
        size_t end = j;
        while (is_name_char(s[end]) || s[end] == '.')
            end++;
        p->len = end - i;
        if (end != j)
            return err_set(p->e, "column %d: malformed number '%.*s', expected a number such as 0.5, 2 or 1e-3",
                           column(p), (int)(p->len > 40 ? 40 : p->len), s + i);
        char buf[64];
        if (p->len >= sizeof buf)
            return err_set(p->e, "column %d: number too long", column(p));
        memcpy(buf, s + i, p->len);
        buf[p->len] = '\0';
        if (util_parse_double(buf, &p->num) != 0)
            return err_set(p->e, "column %d: number '%s' is out of range, expected a finite double",
                           column(p), buf);
        p->kind = T_NUM;
        return 0;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t j = i;
        while (is_name_char(s[j]))
            j++;
        p->len = j - i;
        p->kind = T_NAME;
        return 0;
    }
    switch (c) {
    case '+': case '-': case '/': case '^':
        p->kind = T_OP;
        p->op = c;
        return 0;
    case '*':
        p->kind = T_OP;
        p->op = '*';
        if (s[i + 1] == '*') {
            p->op = '^';
            p->len = 2;
        }
        return 0;
    case '(': p->kind = T_LPAREN; return 0;
    case ')': p->kind = T_RPAREN; return 0;
    case ',': p->kind = T_COMMA; return 0;
    default:
        p->kind = T_BAD;
        /* a control character is named by its code: printed raw, a newline or an escape
         * would break the one-line message */
        if ((unsigned char)c < 0x20 || c == 0x7f)
            return err_set(p->e, "column %d: unexpected control character 0x%02X, expected a "
                           "number, name, operator or parenthesis", column(p), (unsigned)c);
        /* a whole UTF-8 character is shown as it is; any other byte by its code, so the
         * message stays short and valid text */
        p->len = utf8_length(s + i);
        if (p->len == 0) {
            p->len = 1;
            return err_set(p->e, "column %d: unexpected byte 0x%02X (not UTF-8 text), expected "
                           "a number, name, operator or parenthesis", column(p),
                           (unsigned)(unsigned char)c);
        }
        return err_set(p->e, "column %d: unexpected character '%.*s', expected a number, name, "
                       "operator or parenthesis", column(p), (int)p->len, s + i);
    }
}

static int emit(Parser *p, int op, double num)
{
    Expr *x = p->x;
    if (x->n_ops >= EXPR_MAX_OPS)
        return err_set(p->e, "column %d: expression too long (at most %d operations)", column(p),
                       EXPR_MAX_OPS);
    x->op[x->n_ops] = (unsigned char)op;
    x->num[x->n_ops] = num;
    x->n_ops++;
    return 0;
}

static int parse_sum(Parser *p);
static int parse_unary(Parser *p);

static int enter(Parser *p)
{
    if (++p->depth > EXPR_MAX_DEPTH)
        return err_set(p->e, "column %d: expression too deeply nested (at most %d levels)",
                       column(p), EXPR_MAX_DEPTH);
    return 0;
}

static const char *const expected_operand = "a number, name or '('";

/* name '(' args ')' or a variable; p is on the name. */
static int parse_name(Parser *p)
{
    const char *s = p->text + p->pos;
    size_t len = p->len;
    for (size_t k = 0; k < N_NAMES; k++) {
        if (strlen(expr_names[k].name) != len || strncmp(expr_names[k].name, s, len) != 0)
            continue;
        int arity = expr_names[k].arity;
        if (next(p))
            return -1;
        if (arity == 0)
            return emit(p, expr_names[k].op, 0);
        if (p->kind != T_LPAREN) {
            char what[96];
            describe(p, what, sizeof what);
            return err_set(p->e, "column %d: %s, expected '(' after function '%s'", column(p), what,
                           expr_names[k].name);
        }
        if (enter(p))
            return -1;
        for (int a = 0; a < arity; a++) {
            if (next(p) || parse_sum(p))
                return -1;
            int last = a == arity - 1;
            if (p->kind != (last ? T_RPAREN : T_COMMA)) {
                char what[96], exp[96];
                describe(p, what, sizeof what);
                snprintf(exp, sizeof exp, "%s (%s takes %d argument%s)", last ? "')'" : "','",
                         expr_names[k].name, arity, arity == 1 ? "" : "s");
                return err_set(p->e, "column %d: %s, expected %s", column(p), what, exp);
            }
        }
        p->depth--;
        return next(p) || emit(p, expr_names[k].op, 0) ? -1 : 0;
    }
    return err_set(p->e, "column %d: unknown name '%.*s' (expected epoch, iteration, base_lr or a "
                   "function: exp, log, sqrt, sin, cos, floor, min, max)",
                   column(p), (int)(len > 40 ? 40 : len), s);
}

static int parse_primary(Parser *p)
{
    switch (p->kind) {
    case T_NUM:
        if (emit(p, OP_NUM, p->num))
            return -1;
        return next(p);
    case T_NAME:
        return parse_name(p);
    case T_LPAREN:
        if (enter(p) || next(p) || parse_sum(p))
            return -1;
        if (p->kind != T_RPAREN)
            return fail_expected(p, "')' or an operator");
        p->depth--;
        return next(p);
    default:
        return fail_expected(p, expected_operand);
    }
}

/* power := primary [('^' | '**') unary]: right associative, and the exponent may carry
 * its own sign (2 ^ -1), as in Python. */
static int parse_power(Parser *p)
{
    if (parse_primary(p))
        return -1;
    if (p->kind == T_OP && p->op == '^') {
        if (enter(p) || next(p) || parse_unary(p) || emit(p, OP_POW, 0))
            return -1;
        p->depth--;
    }
    return 0;
}

/* unary := ('-' | '+') unary | power, so -2^2 = -(2^2) as in Python. */
static int parse_unary(Parser *p)
{
    if (p->kind == T_OP && (p->op == '-' || p->op == '+')) {
        char op = p->op;
        if (enter(p) || next(p) || parse_unary(p))
            return -1;
        p->depth--;
        return op == '-' ? emit(p, OP_NEG, 0) : 0;
    }
    return parse_power(p);
}

static int parse_product(Parser *p)
{
    if (parse_unary(p))
        return -1;
    while (p->kind == T_OP && (p->op == '*' || p->op == '/')) {
        int op = p->op == '*' ? OP_MUL : OP_DIV;
        if (next(p) || parse_unary(p) || emit(p, op, 0))
            return -1;
    }
    return 0;
}

static int parse_sum(Parser *p)
{
    if (parse_product(p))
        return -1;
    while (p->kind == T_OP && (p->op == '+' || p->op == '-')) {
        int op = p->op == '+' ? OP_ADD : OP_SUB;
        if (next(p) || parse_product(p) || emit(p, op, 0))
            return -1;
    }
    return 0;
}

int expr_compile(Expr *x, const char *text, Err *e)
{
    Parser p = {.text = text, .x = x, .e = e};
    x->n_ops = 0;
    if (next(&p) || parse_sum(&p))
        goto fail;
    if (p.kind != T_END) {
        if (p.kind == T_RPAREN)
            fail_expected(&p, "an operator or end of expression (unbalanced ')')");
        else
            fail_expected(&p, "an operator or end of expression");
        goto fail;
    }
    return 0;
fail:
    x->n_ops = 0;
    return -1;
}

double expr_eval(const Expr *x, double epoch, double iteration, double base_lr)
{
    /* Every op pushes at most one value, so n_ops slots always suffice. */
    double st[EXPR_MAX_OPS];
    int sp = 0;
    for (int i = 0; i < x->n_ops; i++) {
        switch (x->op[i]) {
        case OP_NUM: st[sp++] = x->num[i]; break;
        case OP_EPOCH: st[sp++] = epoch; break;
        case OP_ITERATION: st[sp++] = iteration; break;
        case OP_BASE_LR: st[sp++] = base_lr; break;
        case OP_ADD: sp--; st[sp - 1] += st[sp]; break;
        case OP_SUB: sp--; st[sp - 1] -= st[sp]; break;
        case OP_MUL: sp--; st[sp - 1] *= st[sp]; break;
        case OP_DIV: sp--; st[sp - 1] /= st[sp]; break;
        case OP_POW: sp--; st[sp - 1] = pow(st[sp - 1], st[sp]); break;
        case OP_MIN: sp--; st[sp - 1] = fmin(st[sp - 1], st[sp]); break;
        case OP_MAX: sp--; st[sp - 1] = fmax(st[sp - 1], st[sp]); break;
        case OP_NEG: st[sp - 1] = -st[sp - 1]; break;
        case OP_EXP: st[sp - 1] = exp(st[sp - 1]); break;
        case OP_LOG: st[sp - 1] = log(st[sp - 1]); break;
        case OP_SQRT: st[sp - 1] = sqrt(st[sp - 1]); break;
        case OP_SIN: st[sp - 1] = sin(st[sp - 1]); break;
        case OP_COS: st[sp - 1] = cos(st[sp - 1]); break;
        case OP_FLOOR: st[sp - 1] = floor(st[sp - 1]); break;
        }
    }
    return sp == 1 ? st[0] : NAN;
}
