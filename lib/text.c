/* Terminal-safe text; see text.h. */
#include "text.h"

#include <string.h>

size_t text_utf8_char(const unsigned char *p, size_t n)
{
	size_t need, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/* The letter of c's two-character escape (\\, \n...), or 0. */
static char short_escape(unsigned char c, unsigned flags)
{
	switch (c) {
	case '\\':
		return '\\';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	case '"':
		return flags & TEXT_ESCAPE_QUOTE ? '"' : 0;
	default:
		return 0;
	}
}

size_t text_escape(char *buf, size_t size, struct span s, unsigned flags)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i = 0, len = 0, cut = (size_t)-1;

	while (s.p != NULL && i < s.len) {
		unsigned char c = p[i];
		char esc[16], letter = short_escape(c, flags);
		const char *piece = esc;
		size_t n = 0, run, k;

		run = letter ? 1 : text_utf8_char(p + i, s.len - i);
		if (letter) {
			esc[n++] = '\\';
			esc[n++] = letter;
		} else if (run == 0 || c < 0x20 || c == 0x7f ||
			   (run == 2 && c == 0xc2 && p[i + 1] < 0xa0)) {
			/* a control character or an invalid byte: each byte */
			if (run == 0)
				run = 1;
			for (k = 0; k < run; k++) {
				esc[n++] = '\\';
				esc[n++] = 'x';
				esc[n++] = hex[p[i + k] >> 4];
				esc[n++] = hex[p[i + k] & 0xf];
			}
		} else {
			piece = s.p + i; /* a character as it is */
			n = run;
		}
		if (cut == (size_t)-1 && len + n >= size)
			cut = len;
		if (cut == (size_t)-1)
			memcpy(buf + len, piece, n);
		len += n;
		i += run;
	}
	if (size > 0)
		buf[cut == (size_t)-1 ? len : cut] = '\0';
	return len;
}
