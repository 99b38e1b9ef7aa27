/* Every tool's man page documents the whole exit-code table of exitcode.h:
 * each code with its description in the EXIT STATUS section. */
#include "exitcode.h"
#include "tap/basic.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	int code;
	const char *text;
} table[] = {
#define ROW(name, number, text) {number, text},
	EXITCODE_TABLE(ROW)
#undef ROW
};

/* The EXIT STATUS section as plain words: macro names and roff escapes
 * removed, white space folded to single spaces. */
static char *exit_section_text(const char *page)
{
	const char *start = strstr(page, "\n.SH EXIT STATUS");
	const char *end, *p;
	char *out, *o;
	int at_line_start = 1, last_space = 1;

	if (start == NULL)
		return NULL;
	start += strlen("\n.SH EXIT STATUS");
	end = strstr(start, "\n.SH ");
	if (end == NULL)
		end = start + strlen(start);
	out = malloc((size_t)(end - start) + 1);
	if (out == NULL)
		bail("out of memory");
	o = out;
	for (p = start; p < end; p++) {
		char c = *p;

		if (at_line_start && c == '.') {
			/* skip the macro name, keep its arguments */
			while (p + 1 < end && !isspace((unsigned char)p[1]))
				p++;
			at_line_start = 0;
			continue;
		}
		at_line_start = c == '\n';
		if (c == '\\' && p + 1 < end) {
			p++;
			if (*p == '-')
				c = '-';
			else if (*p == 'f' && p + 1 < end) {
				p++; /* font change: \fB \fR \fI */
				continue;
			} else if (*p == '(' && p + 2 < end) {
				p += 2;
				continue;
			} else
				c = *p;
		}
		if (c == '"')
			continue;
		if (isspace((unsigned char)c)) {
			if (!last_space)
				*o++ = ' ';
			last_space = 1;
			continue;
		}
		*o++ = c;
		last_space = 0;
	}
	*o = '\0';
	return out;
}

int main(void)
{
	const char *source = getenv("SIPWS_SOURCE");
	char dir[4096];
	DIR *d;
	struct dirent *e;
	size_t rows = sizeof(table) / sizeof(table[0]);
	int pages = 0;

	if (source == NULL)
		skip_all("SIPWS_SOURCE is not set (run through make check)");
	snprintf(dir, sizeof(dir), "%s/man", source);
	d = opendir(dir);
	if (d == NULL)
		bail("cannot open %s", dir);
	plan_lazy();
	while ((e = readdir(d)) != NULL) {
		char path[8192], *page, *text;
		size_t len, i;

		len = strlen(e->d_name);
		if (len < 3 || strcmp(e->d_name + len - 2, ".1") != 0)
			continue;
		pages++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		page = test_read_file(path, NULL);
		if (!ok(page != NULL, "%s is readable", e->d_name))
			continue;
		text = exit_section_text(page);
		if (!ok(text != NULL, "%s has an EXIT STATUS section", e->d_name)) {
			free(page);
			continue;
		}
		for (i = 0; i < rows; i++) {
			char want[512];

			snprintf(want, sizeof(want), "%d %s", table[i].code,
				 table[i].text);
			if (!ok(strstr(text, want) != NULL, "%s documents exit %d",
				e->d_name, table[i].code))
				diag("missing \"%s\"", want);
		}
		free(text);
		free(page);
	}
	closedir(d);
	if (pages == 0)
		skip("no section-1 man pages yet");
	return 0;
}
