/* expr.h - a tiny, safe arithmetic expression language for LambdaLR factors:
 * numbers, the variables epoch, iteration and base_lr, + - * / ^ (and **, right
 * associative), unary minus, parentheses, and exp log sqrt sin cos floor min max.
 * Compiled once to a postfix program; evaluation allocates nothing and cannot recurse
 * without bound. No code is ever executed. */
#ifndef MLPTRAIN_EXPR_H
#define MLPTRAIN_EXPR_H

#include "util.h"

#define EXPR_MAX_OPS 256

typedef struct {
    int n_ops;
    unsigned char op[EXPR_MAX_OPS];
    double num[EXPR_MAX_OPS];
} Expr;

/* Compiles text. On error returns -1 with e->msg "column C: what was wrong, what was
 * expected" (columns are 1-based). */
int expr_compile(Expr *x, const char *text, Err *e);

/* Evaluates a compiled expression in double. */
double expr_eval(const Expr *x, double epoch, double iteration, double base_lr);

#endif
