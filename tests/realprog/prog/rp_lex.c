/*
 * rp_lex.c: the lexer. Turns source text into tokens on demand. Comments
 * run from '#' or "//" to the end of the line. Numbers are decimal
 * integers and floats, 0x hexadecimal and 0b binary integers, with '_'
 * allowed between digits. Strings are double- or single-quoted, with the
 * escapes \n \t \r \0 \\ \" \' and \xHH; they are interned as they are read.
 */
#include "rp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_LEX))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("lex", fmt, ap);
    va_end(ap);
}

RP_MODULE("lex");

static const char *const token_names[TK_COUNT] = {
    [TK_EOF] = "end of input",
    [TK_ERROR] = "error",
    [TK_IDENT] = "name",
    [TK_INT] = "integer",
    [TK_FLOAT] = "float",
    [TK_STRING] = "string",
    [TK_LPAREN] = "'('",
    [TK_RPAREN] = "')'",
    [TK_LBRACE] = "'{'",
    [TK_RBRACE] = "'}'",
    [TK_LBRACKET] = "'['",
    [TK_RBRACKET] = "']'",
    [TK_COMMA] = "','",
    [TK_DOT] = "'.'",
    [TK_SEMI] = "';'",
    [TK_COLON] = "':'",
    [TK_PLUS] = "'+'",
    [TK_MINUS] = "'-'",
    [TK_STAR] = "'*'",
    [TK_SLASH] = "'/'",
    [TK_PERCENT] = "'%'",
    [TK_BANG] = "'!'",
    [TK_ASSIGN] = "'='",
    [TK_PLUS_ASSIGN] = "'+='",
    [TK_MINUS_ASSIGN] = "'-='",
    [TK_EQ] = "'=='",
    [TK_NE] = "'!='",
    [TK_LT] = "'<'",
    [TK_LE] = "'<='",
    [TK_GT] = "'>'",
    [TK_GE] = "'>='",
    [TK_AND] = "'and'",
    [TK_OR] = "'or'",
    [TK_NOT] = "'not'",
    [TK_LET] = "'let'",
    [TK_FN] = "'fn'",
    [TK_IF] = "'if'",
    [TK_ELSE] = "'else'",
    [TK_WHILE] = "'while'",
    [TK_FOR] = "'for'",
    [TK_IN] = "'in'",
    [TK_RETURN] = "'return'",
    [TK_BREAK] = "'break'",
    [TK_CONTINUE] = "'continue'",
    [TK_TRUE] = "'true'",
    [TK_FALSE] = "'false'",
    [TK_NIL] = "'nil'",
};

const char *rp_tok_name(rp_tok_kind k)
{
    return (unsigned)k < TK_COUNT && token_names[k] ? token_names[k] : "token";
}

/* Sorted by name, for bsearch. */
static const struct keyword {
    const char *name;
    rp_tok_kind kind;
} keywords[] = {
    {"and", TK_AND},       {"break", TK_BREAK},   {"continue", TK_CONTINUE}, {"else", TK_ELSE},
    {"false", TK_FALSE},   {"fn", TK_FN},         {"for", TK_FOR},           {"if", TK_IF},
    {"in", TK_IN},         {"let", TK_LET},       {"nil", TK_NIL},           {"not", TK_NOT},
    {"or", TK_OR},         {"return", TK_RETURN}, {"true", TK_TRUE},         {"while", TK_WHILE},
};

struct word {
    const char *s;
    size_t n;
};

static int keyword_compare(const void *key, const void *elem)
{
    const struct word *w = key;
    const struct keyword *k = elem;
    size_t kn = strlen(k->name);
    int c = strncmp(w->s, k->name, w->n < kn ? w->n : kn);
    if (c)
        return c;
    return (w->n > kn) - (w->n < kn);
}

static rp_tok_kind keyword_kind(const char *s, size_t n)
{
    struct word w = {s, n};
    const struct keyword *k =
        bsearch(&w, keywords, sizeof keywords / sizeof keywords[0], sizeof keywords[0],
                keyword_compare);
    return k ? k->kind : TK_IDENT;
}

void rp_lex_init(rp_lexer *lx, rp_ctx *ctx, const char *src)
{
    lx->src = src;
    lx->p = src;
    lx->line = 1;
    lx->ctx = ctx;
    rp_buf_init(&lx->scratch);
}

void rp_lex_free(rp_lexer *lx)
{
    rp_buf_free(&lx->scratch);
}

static int is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

static void skip_space(rp_lexer *lx)
{
    for (;;) {
        char c = *lx->p;
        if (c == '\n') {
            lx->line++;
            lx->p++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            lx->p++;
        } else if (c == '#' || (c == '/' && lx->p[1] == '/')) {
            while (*lx->p && *lx->p != '\n')
                lx->p++;
        } else {
            return;
        }
    }
}

static rp_token make(rp_lexer *lx, rp_tok_kind kind, const char *start)
{
    rp_token t;
    t.kind = kind;
    t.start = start;
    t.len = (size_t)(lx->p - start);
    t.line = lx->line;
    t.lit = rp_nil();
    return t;
}

static rp_token fail(rp_lexer *lx, const char *start, const char *message)
{
    rp_error_at(lx->ctx, RP_ERR_SYNTAX, lx->line, "%s", message);
    return make(lx, TK_ERROR, start);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static rp_token string_token(rp_lexer *lx, const char *start)
{
    char quote = *lx->p++;
    int first_line = lx->line;
    rp_buf_truncate(&lx->scratch, 0);
    for (;;) {
        char c = *lx->p;
        if (c == 0) {
            lx->line = first_line;
            return fail(lx, start, "unterminated string");
        }
        lx->p++;
        if (c == quote)
            break;
        if (c == '\n')
            lx->line++;
        if (c != '\\') {
            rp_buf_putc(&lx->scratch, c);
            continue;
        }
        char e = *lx->p++;
        switch (e) {
        case 'n':
            rp_buf_putc(&lx->scratch, '\n');
            break;
        case 't':
            rp_buf_putc(&lx->scratch, '\t');
            break;
        case 'r':
            rp_buf_putc(&lx->scratch, '\r');
            break;
        case '0':
            rp_buf_putc(&lx->scratch, '\0');
            break;
        case '\\':
        case '"':
        case '\'':
            rp_buf_putc(&lx->scratch, e);
            break;
        case 'x': {
            int hi = hex_digit(lx->p[0]), lo = hi < 0 ? -1 : hex_digit(lx->p[1]);
            if (hi < 0 || lo < 0)
                return fail(lx, start, "bad \\x escape");
            rp_buf_putc(&lx->scratch, (char)(hi * 16 + lo));
            lx->p += 2;
            break;
        }
        case 0:
            return fail(lx, start, "unterminated string");
        default:
#ifdef HCR_EDIT
        {
            char message[40];
            snprintf(message, sizeof message, "unknown escape \\%c", e);
            return fail(lx, start, message);
        }
#else
            /* Unknown escapes stand for themselves, backslash included. */
            rp_buf_putc(&lx->scratch, '\\');
            rp_buf_putc(&lx->scratch, e);
            if (e == '\n')
                lx->line++;
#endif
            break;
        }
    }
    rp_token t = make(lx, TK_STRING, start);
    t.line = first_line;
    trace("line %d: string of %zu bytes", first_line, lx->scratch.len);
    t.lit = rp_objval(rp_string_new(lx->scratch.data ? lx->scratch.data : "", lx->scratch.len));
    return t;
}

static rp_token number_token(rp_lexer *lx, const char *start)
{
    const char *p = lx->p;
    int is_float = 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X' || p[1] == 'b' || p[1] == 'B')) {
        p += 2;
        while (hex_digit(*p) >= 0 || *p == '_')
            p++;
    } else {
        while (is_digit(*p) || *p == '_')
            p++;
        if (*p == '.' && is_digit(p[1])) {
            is_float = 1;
            p++;
            while (is_digit(*p) || *p == '_')
                p++;
        }
        if ((*p == 'e' || *p == 'E') &&
            (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
            is_float = 1;
            p += 2;
            while (is_digit(*p))
                p++;
        }
    }
    if (is_ident_char(*p)) {
        lx->p = p;
        return fail(lx, start, "malformed number");
    }
    lx->p = p;
    rp_value v;
    if (rp_number_parse(start, (size_t)(p - start), &v) < 0)
        return fail(lx, start, "malformed number");
    rp_token t = make(lx, v.t == RP_T_FLOAT ? TK_FLOAT : TK_INT, start);
    (void)is_float;
    t.lit = v;
    return t;
}

rp_token rp_lex_next(rp_lexer *lx)
{
    skip_space(lx);
    const char *start = lx->p;
    char c = *lx->p;
    if (c == 0)
        return make(lx, TK_EOF, start);
    if (is_ident_start(c)) {
        while (is_ident_char(*lx->p))
            lx->p++;
        return make(lx, keyword_kind(start, (size_t)(lx->p - start)), start);
    }
    if (is_digit(c))
        return number_token(lx, start);
    if (c == '"' || c == '\'')
        return string_token(lx, start);
    lx->p++;
    char next = *lx->p;
#define TWO(second, kind2, kind1)                                                            \
    do {                                                                                     \
        if (next == (second)) {                                                              \
            lx->p++;                                                                         \
            return make(lx, kind2, start);                                                   \
        }                                                                                    \
        return make(lx, kind1, start);                                                       \
    } while (0)
    switch (c) {
    case '(':
        return make(lx, TK_LPAREN, start);
    case ')':
        return make(lx, TK_RPAREN, start);
    case '{':
        return make(lx, TK_LBRACE, start);
    case '}':
        return make(lx, TK_RBRACE, start);
    case '[':
        return make(lx, TK_LBRACKET, start);
    case ']':
        return make(lx, TK_RBRACKET, start);
    case ',':
        return make(lx, TK_COMMA, start);
    case '.':
        return make(lx, TK_DOT, start);
    case ';':
        return make(lx, TK_SEMI, start);
    case ':':
        return make(lx, TK_COLON, start);
    case '*':
        return make(lx, TK_STAR, start);
    case '/':
        return make(lx, TK_SLASH, start);
    case '%':
        return make(lx, TK_PERCENT, start);
    case '+':
        TWO('=', TK_PLUS_ASSIGN, TK_PLUS);
    case '-':
        TWO('=', TK_MINUS_ASSIGN, TK_MINUS);
    case '!':
        TWO('=', TK_NE, TK_BANG);
    case '=':
        TWO('=', TK_EQ, TK_ASSIGN);
    case '<':
        TWO('=', TK_LE, TK_LT);
    case '>':
        TWO('=', TK_GE, TK_GT);
    case '&':
        if (next == '&') {
            lx->p++;
            return make(lx, TK_AND, start);
        }
        break;
    case '|':
        if (next == '|') {
            lx->p++;
            return make(lx, TK_OR, start);
        }
        break;
    default:
        break;
    }
#undef TWO
    char message[40];
    if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
        snprintf(message, sizeof message, "unexpected character '%c'", c);
    else
        snprintf(message, sizeof message, "unexpected byte 0x%02x", (unsigned char)c);
    trace("line %d: %s", lx->line, message);
    return fail(lx, start, message);
}
