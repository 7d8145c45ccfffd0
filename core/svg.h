/* svg.h — a small SVG writer: a growing text, numbers in one fixed format, text escaped.
 *
 *   lmm_svg s; lmm_svg_init(&s);
 *   lmm_svg_begin(&s, 640, 480, "title", "description");   <svg viewBox=...><title>..</title><desc>..</desc>
 *   lmm_svg_printf(&s, "<circle cx=\"%s\" .../>", lmm_svg_num(x).s);
 *   lmm_svg_text(&s, "label", x, y, "start", "tick-label");  <text> with the label escaped
 *   char *doc = lmm_svg_end(&s, err);                        </svg>; the caller frees doc (lmm_free)
 *
 * Numbers are written with two decimals, trailing zeros and a negative zero dropped ("12.5", "0", "-3"),
 * so the same figure is the same bytes on every machine and run.  An allocation that fails marks the writer
 * and every later call does nothing; lmm_svg_end reports it. */
#ifndef LMM_SVG_H
#define LMM_SVG_H

#include <stddef.h>

#include "lmm_error.h"

typedef struct lmm_svg {
  char *buf;    /* owned; NUL-terminated */
  size_t len, cap;
  int nomem;
  const char *refused;   /* why the figure cannot be drawn (static text), or NULL: lmm_svg_end fails with it */
} lmm_svg;

typedef struct lmm_svg_number { char s[32]; } lmm_svg_number;

void lmm_svg_init(lmm_svg *s);
void lmm_svg_free(lmm_svg *s);
/* A coordinate or length: two decimals, as above. */
lmm_svg_number lmm_svg_num(double v);
/* A data value for an attribute a reader maps back (data-*): 10 significant digits. */
lmm_svg_number lmm_svg_value(double v);
void lmm_svg_printf(lmm_svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* text with &, <, >, " and ' as entities, and control characters dropped */
void lmm_svg_escaped(lmm_svg *s, const char *text);
/* <text class="cls" x y text-anchor rotate(deg)>text</text>; rotate 0 for none */
void lmm_svg_text(lmm_svg *s, const char *text, double x, double y, const char *anchor, double rotate, const char *cls);
void lmm_svg_begin(lmm_svg *s, double width, double height, const char *title, const char *desc);
/* The document (the writer's text, now the caller's) or NULL with err set when memory ran out. */
char *lmm_svg_end(lmm_svg *s, lmm_error *err);

#endif
