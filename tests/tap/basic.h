/* Minimal TAP producer for C unit tests, in the spirit of C TAP Harness:
 * plan, ok, is_int, is_string, diag, skip, skip_all, bail. */
#ifndef TAP_BASIC_H
#define TAP_BASIC_H

#include <stddef.h>

#if defined(__GNUC__)
#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TAP_NORETURN __attribute__((noreturn))
#else
#define TAP_PRINTF(f, a)
#define TAP_NORETURN
#endif

/* Declare the number of tests; at exit the count is checked. */
void plan(unsigned long count);
/* Declare the plan at the end instead (done_testing style). */
void plan_lazy(void);

/* Each returns the truth of the test so callers may add diagnostics. */
int ok(int success, const char *format, ...) TAP_PRINTF(2, 3);
int is_int(long long wanted, long long seen, const char *format, ...)
	TAP_PRINTF(3, 4);
int is_string(const char *wanted, const char *seen, const char *format, ...)
	TAP_PRINTF(3, 4);
/* Compare a pointer + length region with a NUL-terminated expectation. */
int is_bytes(const char *wanted, const char *seen, size_t seen_len,
	     const char *format, ...) TAP_PRINTF(4, 5);

void skip(const char *reason, ...) TAP_PRINTF(1, 2);
void skip_block(unsigned long count, const char *reason, ...) TAP_PRINTF(2, 3);
void skip_all(const char *format, ...) TAP_PRINTF(1, 2) TAP_NORETURN;
void bail(const char *format, ...) TAP_PRINTF(1, 2) TAP_NORETURN;
void diag(const char *format, ...) TAP_PRINTF(1, 2);

/* Path of a test data file: $SIPWS_CORPUS/<relative>, or NULL if unset.
 * The result is malloc'd. */
char *test_corpus_path(const char *relative);
/* Read a whole file; returns malloc'd bytes (NUL-terminated) or NULL. */
char *test_read_file(const char *path, size_t *len);

#endif
