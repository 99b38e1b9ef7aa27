/* Text from the network made safe to show on a terminal or in a log line:
 * one escape form for every tool (JSON output has its own, json.h), and
 * the UTF-8 check both share. */
#ifndef SIPWS_TEXT_H
#define SIPWS_TEXT_H

#include <stddef.h>

#include "span.h"

/* text_escape flag: '"' as \" too, for text shown between double quotes
 * (a display name), so that the closing quote is never ambiguous. */
#define TEXT_ESCAPE_QUOTE 0x1u

/* Length of the valid UTF-8 sequence starting at p[0..n): 1 to 4, or 0
 * when it is not one (a stray or missing continuation byte, an overlong
 * form, a surrogate, above U+10FFFF). n must be at least 1. */
size_t text_utf8_char(const unsigned char *p, size_t n);

/* Escape s onto one line: a backslash as \\, LF, CR and TAB as \n, \r
 * and \t, every other control character (C0, DEL, and C1 U+0080..U+009F,
 * which terminals obey too) and every byte that is not part of valid
 * UTF-8 as \xHH, byte by byte (lowercase hex); valid UTF-8 such as "Bób"
 * stays as it is. Writes at most size bytes into buf, the NUL included,
 * never cutting an escape or a character in two; returns the length of
 * the whole escaped text, as snprintf does (size 0 and buf NULL only
 * measure). A null span is the empty text. */
size_t text_escape(char *buf, size_t size, struct span s, unsigned flags);

#endif
