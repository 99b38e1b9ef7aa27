/* Fuzz target for the tools' escape form (text.h): whatever the bytes,
 * the escaped text holds no control character and is valid UTF-8, undoing
 * the escapes gives the input back (the form is unambiguous), and a
 * buffer too small gets a prefix cut between escapes. The first byte
 * chooses the flag and the small buffer's size. */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
	if (!cond)
		abort();
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo the escapes of e[0..n) into out; the length, or -1 if e is not
 * something text_escape writes. */
static long unescape(const char *e, size_t n, unsigned flags, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (e[i] != '\\') {
			require(e[i] != '"' || !(flags & TEXT_ESCAPE_QUOTE));
			out[o++] = e[i++];
			continue;
		}
		if (i + 1 >= n)
			return -1;
		switch (e[i + 1]) {
		case '\\': out[o++] = '\\'; i += 2; break;
		case 'n': out[o++] = '\n'; i += 2; break;
		case 'r': out[o++] = '\r'; i += 2; break;
		case 't': out[o++] = '\t'; i += 2; break;
		case '"':
			if (!(flags & TEXT_ESCAPE_QUOTE))
				return -1;
			out[o++] = '"';
			i += 2;
			break;
		case 'x':
			if (i + 3 >= n || hex_digit(e[i + 2]) < 0 ||
			    hex_digit(e[i + 3]) < 0)
				return -1;
			out[o++] = (char)(hex_digit(e[i + 2]) * 16 +
					  hex_digit(e[i + 3]));
			i += 4;
			break;
		default:
			return -1;
		}
	}
	return (long)o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *u;
	unsigned flags;
	size_t n, small, i, run;
	struct span s;
	char *full, *cut, *back;
	long len;

	if (size == 0)
		return 0;
	flags = data[0] & 1 ? TEXT_ESCAPE_QUOTE : 0;
	small = data[0] >> 1;
	s = span_make((const char *)data + 1, size - 1);

	n = text_escape(NULL, 0, s, flags);
	full = malloc(n + 1);
	back = malloc(s.len + 1);
	cut = malloc(small + 1);
	require(full && back && cut);
	require(text_escape(full, n + 1, s, flags) == n);
	require(strlen(full) == n);

	/* nothing for a terminal to obey, and valid UTF-8 */
	u = (const unsigned char *)full;
	for (i = 0; i < n; i += run) {
		require(u[i] >= 0x20 && u[i] != 0x7f);
		run = text_utf8_char(u + i, n - i);
		require(run > 0);
		require(!(run == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0));
	}
	/* unambiguous: the input comes back */
	len = unescape(full, n, flags, back);
	require(len == (long)s.len && memcmp(back, s.p, s.len) == 0);

	/* cut: a prefix, between escapes and characters */
	if (small > 0) {
		require(text_escape(cut, small, s, flags) == n);
		require(strlen(cut) < small);
		require(memcmp(cut, full, strlen(cut)) == 0);
		require(unescape(cut, strlen(cut), flags, back) >= 0);
		require(n < small || strlen(cut) + 16 >= small);
	}
	free(full);
	free(back);
	free(cut);
	return 0;
}
