/* svg.c — the SVG writer of svg.h.  The style sheet is written once per document: marks carry a class
 * (what they are) and the sheet says how each class is drawn, so a reader or a test finds the marks by
 * class and the drawing stays one place. */
#include "svg.h"

#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

void lmm_svg_init(lmm_svg *s) { memset(s, 0, sizeof *s); }

void lmm_svg_free(lmm_svg *s) {
  lmm_free(s->buf);
  lmm_svg_init(s);
}

static lmm_svg_number format_trimmed(const char *fmt, double v) {
  lmm_svg_number n;
  snprintf(n.s, sizeof n.s, fmt, v);
  char *dot = strchr(n.s, '.');
  if (dot && !strchr(n.s, 'e')) {
    char *end = n.s + strlen(n.s);
    while (end > dot + 1 && end[-1] == '0') *--end = 0;
    if (end == dot + 1) *dot = 0;
  }
  if (!strcmp(n.s, "-0")) strcpy(n.s, "0");
  return n;
}

lmm_svg_number lmm_svg_num(double v) { return format_trimmed("%.2f", isfinite(v) ? v : 0); }

lmm_svg_number lmm_svg_value(double v) {
  if (!isfinite(v)) {
    lmm_svg_number n;
    strcpy(n.s, isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf");
    return n;
  }
  return format_trimmed("%.10g", v);
}

static int reserve(lmm_svg *s, size_t more) {
  if (s->nomem) return 0;
  size_t need = lmm_size_add(lmm_size_add(s->len, more), 1);
  if (need <= s->cap) return 1;
  size_t cap = s->cap ? s->cap : 4096;
  while (cap < need && cap < SIZE_MAX / 2) cap *= 2;
  if (cap < need) cap = need;
  char *b = lmm_realloc(s->buf, cap);
  if (!b) {
    s->nomem = 1;
    return 0;
  }
  s->buf = b;
  s->cap = cap;
  return 1;
}

static void append(lmm_svg *s, const char *text, size_t n) {
  if (!reserve(s, n)) return;
  memcpy(s->buf + s->len, text, n);
  s->len += n;
  s->buf[s->len] = 0;
}

void lmm_svg_printf(lmm_svg *s, const char *fmt, ...) {
  if (s->nomem) return;
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    append(s, small, (size_t)n);
    return;
  }
  if (!reserve(s, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  s->len += (size_t)n;
}

void lmm_svg_escaped(lmm_svg *s, const char *text) {
  for (const char *p = text; *p; p++) {
    switch (*p) {
    case '&': append(s, "&amp;", 5); break;
    case '<': append(s, "&lt;", 4); break;
    case '>': append(s, "&gt;", 4); break;
    case '"': append(s, "&quot;", 6); break;
    case '\'': append(s, "&#39;", 5); break;
    default:
      if ((unsigned char)*p >= 0x20 && *p != 0x7f) append(s, p, 1);   /* XML 1.0 refuses most controls */
    }
  }
}

void lmm_svg_text(lmm_svg *s, const char *text, double x, double y, const char *anchor, double rotate, const char *cls) {
  lmm_svg_printf(s, "<text class=\"%s\" x=\"%s\" y=\"%s\" text-anchor=\"%s\"", cls, lmm_svg_num(x).s, lmm_svg_num(y).s,
                 anchor);
  if (rotate != 0)
    lmm_svg_printf(s, " transform=\"rotate(%s %s %s)\"", lmm_svg_num(rotate).s, lmm_svg_num(x).s, lmm_svg_num(y).s);
  append(s, ">", 1);
  lmm_svg_escaped(s, text);
  append(s, "</text>\n", 8);
}

/* Okabe and Ito's colour-blind-safe palette: black, then blue, vermillion, bluish green, orange, sky blue,
 * reddish purple, yellow; the series classes s0..s7 take them in turn. */
static const char *const palette[8] = {"#000000", "#0072B2", "#D55E00", "#009E73",
                                       "#E69F00", "#56B4E9", "#CC79A7", "#F0E442"};

void lmm_svg_begin(lmm_svg *s, double width, double height, const char *title, const char *desc) {
  lmm_svg_printf(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %s %s\" width=\"%s\" height=\"%s\" "
                 "role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n<title>",
                 lmm_svg_num(width).s, lmm_svg_num(height).s, lmm_svg_num(width).s, lmm_svg_num(height).s);
  lmm_svg_escaped(s, title);
  append(s, "</title>\n<desc>", 15);
  lmm_svg_escaped(s, desc);
  append(s, "</desc>\n", 8);
  lmm_svg_printf(s, "<style>\n"
                    ".background{fill:#ffffff}\n.frame{fill:none;stroke:#000000}\n"
                    ".axis line{stroke:#000000}\n.axis .grid{stroke:#e5e5e5}\n"
                    ".tick-label{font-size:11px}\n.title{font-size:14px;font-weight:bold}\n"
                    ".point{fill:none;stroke-width:1}\n.bar{fill:#bebebe;stroke:#000000;stroke-width:0.5}\n"
                    ".ref{stroke:#D55E00;stroke-dasharray:4 3;fill:none}\n.zero{stroke:#999999;stroke-dasharray:2 3}\n"
                    ".lowess{stroke:#D55E00;fill:none;stroke-width:1.5}\n.cooks{stroke:#D55E00;stroke-dasharray:5 3;fill:none}\n"
                    ".errbar{stroke-width:1.2}\n.dot,.legend,.legend-key{stroke:none}\n");
  for (int k = 0; k < 8; k++)
    lmm_svg_printf(s, ".s%d{stroke:%s}\n.dot.s%d,.legend-key.s%d{fill:%s}\n.legend.s%d{fill:%s}\n", k, palette[k], k, k,
                   palette[k], k, palette[k]);
  append(s, "</style>\n", 9);
  lmm_svg_printf(s, "<rect class=\"background\" x=\"0\" y=\"0\" width=\"%s\" height=\"%s\"/>\n", lmm_svg_num(width).s,
                 lmm_svg_num(height).s);
}

char *lmm_svg_end(lmm_svg *s, lmm_error *err) {
  append(s, "</svg>\n", 7);
  if (s->nomem || s->refused) {
    if (s->nomem) lmm_nomem(err);
    else lmm_fail(err, LMM_ERR, "%s", s->refused);
    lmm_svg_free(s);
    return NULL;
  }
  char *doc = s->buf;
  lmm_svg_init(s);
  return doc;
}
