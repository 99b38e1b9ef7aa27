/* bench/runner: run a command N times and print, on one line, the median
 * and the smallest wall time in milliseconds, the largest peak RSS in KiB
 * (getrusage of each child through wait4) and how many runs did not exit
 * with the expected status:
 *
 *   runner [-n N] [-w WARMUP] [-x STATUS] [-i FILE] -- COMMAND [ARG...]
 *   => "median_ms=1.234 min_ms=1.100 max_rss_kib=5120 failed=0"
 *
 * Standard input of each run is FILE (default /dev/null); its standard
 * output and error go to /dev/null. Built and run by scripts/bench.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One run: wall time, peak RSS, exit status (-1 for a signal). */
static int run(char **argv, const char *input, double *ms, long *rss_kib)
{
	struct rusage ru;
	double t0 = now_ms();
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("runner: fork");
		exit(1);
	}
	if (pid == 0) {
		int in = open(input, O_RDONLY), out = open("/dev/null", O_WRONLY);

		if (in < 0 || out < 0) {
			perror("runner: open");
			_exit(127);
		}
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("runner: wait4");
		exit(1);
	}
	*ms = now_ms() - t0;
	*rss_kib = ru.ru_maxrss; /* Linux: KiB */
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
	const char *input = "/dev/null";
	int n = 20, warmup = 2, expect = 0, c, i, failed = 0;
	double *times;
	long rss = 0;

	while ((c = getopt(argc, argv, "+n:w:x:i:")) != -1) {
		switch (c) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'x':
			expect = atoi(optarg);
			break;
		case 'i':
			input = optarg;
			break;
		default:
			fprintf(stderr, "usage: runner [-n N] [-w WARMUP] [-x STATUS] [-i FILE] -- COMMAND [ARG...]\n");
			return 2;
		}
	}
	if (optind >= argc || n < 1) {
		fprintf(stderr, "runner: no command\n");
		return 2;
	}
	times = calloc((size_t)n, sizeof(*times));
	if (times == NULL)
		return 1;
	for (i = 0; i < warmup; i++) {
		double ms;
		long kib;

		run(argv + optind, input, &ms, &kib);
	}
	for (i = 0; i < n; i++) {
		long kib;

		if (run(argv + optind, input, &times[i], &kib) != expect)
			failed++;
		if (kib > rss)
			rss = kib;
	}
	qsort(times, (size_t)n, sizeof(*times), cmp_double);
	printf("median_ms=%.3f min_ms=%.3f max_rss_kib=%ld failed=%d\n",
	       n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2,
	       times[0], rss, failed);
	free(times);
	return 0;
}
