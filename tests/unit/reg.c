/* The registration client's timing rules: when a binding is refreshed
 * (JsSIP's) and when a failed REGISTER is tried again (Retry-After,
 * bounded; before the binding lapses). */
#include "reg.h"
#include "internal/testing.h"
#include "tap/basic.h"

#include <stdbool.h>
#include <stdint.h>

static const struct {
	uint32_t expires;
	double rnd;
	uint64_t ms;
	const char *why;
} refresh_cases[] = {
	{2, 0.0, 1000, "2 s: never before half"},
	{10, 0.5, 5000, "10 s: 5 s before it runs out"},
	{64, 0.0, 59000, "64 s: 5 s before"},
	{65, 0.0, 32500, "65 s: from half ..."},
	{65, 0.999, 32999, "... to E-32 s"},
	{600, 0.0, 300000, "600 s: from 300 s ..."},
	{600, 0.5, 434000, "... through the middle ..."},
	{600, 2.0, 300000, "a random number out of [0, 1) counts as 0"},
};

static const struct {
	unsigned retry_secs;
	bool has_retry_after;
	uint32_t retry_after;
	uint64_t left_ms;
	uint64_t ms;
	const char *why;
} retry_cases[] = {
	/* Retry-After: as asked, whatever the binding has left */
	{30, true, 2, 5000, 2000, "Retry-After: 2 below the default"},
	{30, true, 40, 5000, 40000, "Retry-After: 40 above the default"},
	{30, true, 40, 0, 40000, "Retry-After without a binding"},
	{30, true, 3600, 0, 3600000, "Retry-After at the bound"},
	{30, true, 3601, 0, 3600000, "Retry-After above the bound"},
	{30, true, UINT32_MAX, 0, 3600000, "the largest Retry-After"},
	{30, true, 0, 0, 1000, "Retry-After: 0 waits 1 s"},
	/* none: the default, but within half of what is left */
	{30, false, 0, 0, 30000, "no binding left: the default"},
	{30, false, 0, 5000, 2500, "5 s left: after 2.5 s"},
	{30, false, 0, 100000, 30000, "100 s left: the default"},
	{30, false, 0, 1500, 1000, "1.5 s left: at least 1 s"},
	{1, false, 0, 5000, 1000, "a default below half of what is left"},
	{0, false, 0, 0, 30000, "retry_secs 0: 30 s"},
};

int main(void)
{
	size_t i, n1 = sizeof(refresh_cases) / sizeof(refresh_cases[0]);
	size_t n2 = sizeof(retry_cases) / sizeof(retry_cases[0]);

	plan(n1 + n2);
	for (i = 0; i < n1; i++)
		is_int((long long)refresh_cases[i].ms,
		       (long long)reg_refresh_ms(refresh_cases[i].expires,
						 refresh_cases[i].rnd),
		       "refresh: %s", refresh_cases[i].why);
	for (i = 0; i < n2; i++)
		is_int((long long)retry_cases[i].ms,
		       (long long)reg_retry_ms(retry_cases[i].retry_secs,
					       retry_cases[i].has_retry_after,
					       retry_cases[i].retry_after,
					       retry_cases[i].left_ms),
		       "retry: %s", retry_cases[i].why);
	return 0;
}
