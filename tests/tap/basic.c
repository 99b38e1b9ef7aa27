/* Minimal TAP producer; see basic.h. Output goes to stdout, diagnostics to
 * stderr with a leading '#', as TAP wants. */
#include "basic.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long tap_planned;
static unsigned long tap_run;
static unsigned long tap_failed;
static int tap_lazy;
static int tap_registered;

static void tap_finish(void)
{
	if (tap_lazy) {
		printf("1..%lu\n", tap_run);
	} else if (tap_planned != tap_run) {
		fprintf(stderr, "# planned %lu tests but ran %lu\n",
			tap_planned, tap_run);
	}
	if (tap_failed)
		fprintf(stderr, "# failed %lu of %lu tests\n", tap_failed,
			tap_run);
	fflush(stdout);
}

static void tap_register(void)
{
	if (!tap_registered) {
		atexit(tap_finish);
		tap_registered = 1;
	}
}

void plan(unsigned long count)
{
	tap_planned = count;
	tap_register();
	printf("1..%lu\n", count);
	fflush(stdout);
}

void plan_lazy(void)
{
	tap_lazy = 1;
	tap_register();
}

static void tap_vresult(int success, const char *format, va_list args)
{
	tap_run++;
	if (!success)
		tap_failed++;
	printf("%sok %lu", success ? "" : "not ", tap_run);
	if (format && *format) {
		printf(" - ");
		vprintf(format, args);
	}
	putchar('\n');
	fflush(stdout);
}

int ok(int success, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	tap_vresult(success, format, args);
	va_end(args);
	return success;
}

int is_int(long long wanted, long long seen, const char *format, ...)
{
	va_list args;
	int success = wanted == seen;

	va_start(args, format);
	tap_vresult(success, format, args);
	va_end(args);
	if (!success)
		diag("wanted: %lld\n#   seen: %lld", wanted, seen);
	return success;
}

int is_string(const char *wanted, const char *seen, const char *format, ...)
{
	va_list args;
	int success;

	if (wanted == NULL || seen == NULL)
		success = wanted == seen;
	else
		success = strcmp(wanted, seen) == 0;
	va_start(args, format);
	tap_vresult(success, format, args);
	va_end(args);
	if (!success)
		diag("wanted: %s%s%s\n#   seen: %s%s%s",
		     wanted ? "\"" : "", wanted ? wanted : "(null)",
		     wanted ? "\"" : "", seen ? "\"" : "",
		     seen ? seen : "(null)", seen ? "\"" : "");
	return success;
}

int is_bytes(const char *wanted, const char *seen, size_t seen_len,
	     const char *format, ...)
{
	va_list args;
	int success;

	if (wanted == NULL || seen == NULL)
		success = wanted == seen;
	else
		success = strlen(wanted) == seen_len &&
			  memcmp(wanted, seen, seen_len) == 0;
	va_start(args, format);
	tap_vresult(success, format, args);
	va_end(args);
	if (!success)
		diag("wanted: \"%s\"\n#   seen: \"%.*s\"",
		     wanted ? wanted : "(null)", seen ? (int)seen_len : 6,
		     seen ? seen : "(null)");
	return success;
}

void skip(const char *reason, ...)
{
	va_list args;

	tap_run++;
	printf("ok %lu # skip ", tap_run);
	va_start(args, reason);
	vprintf(reason, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

void skip_block(unsigned long count, const char *reason, ...)
{
	va_list args;

	while (count-- > 0) {
		tap_run++;
		printf("ok %lu # skip ", tap_run);
		va_start(args, reason);
		vprintf(reason, args);
		va_end(args);
		putchar('\n');
	}
	fflush(stdout);
}

void skip_all(const char *format, ...)
{
	va_list args;

	printf("1..0 # skip ");
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
	exit(0);
}

void bail(const char *format, ...)
{
	va_list args;

	fflush(stderr);
	printf("Bail out! ");
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
	exit(255);
}

void diag(const char *format, ...)
{
	va_list args;

	fflush(stdout);
	fprintf(stderr, "# ");
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	fflush(stderr);
}

char *test_corpus_path(const char *relative)
{
	const char *root = getenv("SIPWS_CORPUS");
	char *path;
	size_t len;

	if (root == NULL || *root == '\0')
		return NULL;
	len = strlen(root) + strlen(relative) + 2;
	path = malloc(len);
	if (path == NULL)
		bail("out of memory");
	snprintf(path, len, "%s/%s", root, relative);
	return path;
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, used = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - used < 4096) {
			char *grown;

			cap = cap ? cap * 2 : 8192;
			grown = realloc(buf, cap + 1);
			if (grown == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		n = fread(buf + used, 1, cap - used, f);
		used += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
}
