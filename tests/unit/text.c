/* Terminal-safe text (text.h): the one escape form of the tools' text
 * output, cut without splitting an escape, and the UTF-8 check. */
#include "text.h"
#include "tap/basic.h"

#include <string.h>

static void escape_is(const char *in, size_t len, unsigned flags,
		      const char *want, const char *what)
{
	char buf[256];
	size_t n = text_escape(buf, sizeof(buf), span_make(in, len), flags);

	is_string(want, buf, "%s", what);
	is_int((int)strlen(want), (int)n, "... length %zu", strlen(want));
}

#define ESC(in, flags, want, what) \
	escape_is(in, sizeof(in) - 1, flags, want, what)

int main(void)
{
	char small[8];
	size_t n;

	plan_lazy();

	ESC("Not Found", 0, "Not Found", "plain text is kept");
	ESC("B\xc3\xb3" "b \xe2\x9c\x93 \xf0\x9f\x8e\x89", 0,
	    "B\xc3\xb3" "b \xe2\x9c\x93 \xf0\x9f\x8e\x89",
	    "valid UTF-8 is kept");
	ESC("Not Found\x1b]0;pwned\x07\x1b[2J", 0,
	    "Not Found\\x1b]0;pwned\\x07\\x1b[2J",
	    "an OSC title and a clear-screen are defused");
	ESC("a\nb\rc\td\\e\x7f", 0, "a\\nb\\rc\\td\\\\e\\x7f",
	    "LF, CR, TAB, backslash, DEL");
	ESC("a\0b", 0, "a\\x00b", "NUL");
	ESC("x\xc2\x9b" "31m", 0, "x\\xc2\\x9b31m",
	    "a C1 control (U+009B CSI) byte by byte");
	ESC("\xc2\xa0", 0, "\xc2\xa0", "U+00A0 is not a control");
	ESC("O\xff" "K\xc3" "!\xed\xa0\x80\xc0\xaf", 0,
	    "O\\xffK\\xc3!\\xed\\xa0\\x80\\xc0\\xaf",
	    "invalid UTF-8 byte by byte: stray, cut, surrogate, overlong");
	ESC("end\xe2\x9c", 0, "end\\xe2\\x9c", "a sequence cut at the end");
	ESC("B\xc3\xb3" "b \"x\"", 0, "B\xc3\xb3" "b \"x\"",
	    "quotes kept without TEXT_ESCAPE_QUOTE");
	ESC("B\xc3\xb3" "b \"x\"", TEXT_ESCAPE_QUOTE,
	    "B\xc3\xb3" "b \\\"x\\\"", "quotes escaped with it");

	n = text_escape(NULL, 0, span_make("a\x1b" "b", 3), 0);
	is_int(6, (int)n, "measuring only");
	n = text_escape(small, sizeof(small), span_make("abcd\x1b" "e", 6), 0);
	is_string("abcd", small, "cut before an escape that does not fit");
	is_int(9, (int)n, "... the whole length is returned");
	n = text_escape(small, sizeof(small),
			span_make("abcdef\xc3\xb3", 8), 0);
	is_string("abcdef", small, "... and before a character");
	n = text_escape(small, sizeof(small), span_make("abcdefg", 7), 0);
	is_string("abcdefg", small, "exactly full");
	is_int(7, (int)n, "... length 7");
	n = text_escape(small, sizeof(small), SPAN_NULL, 0);
	is_string("", small, "a null span is empty");

	is_int(1, (int)text_utf8_char((const unsigned char *)"a", 1), "ASCII");
	is_int(4, (int)text_utf8_char((const unsigned char *)"\xf4\x8f\xbf\xbf", 4),
	       "U+10FFFF");
	is_int(0, (int)text_utf8_char((const unsigned char *)"\xf4\x90\x80\x80", 4),
	       "above U+10FFFF");
	return 0;
}
