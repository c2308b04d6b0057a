/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays fuzz inputs without libFuzzer, so the normal (gcc) build runs
 * every committed corpus file in `meson test` (libgit2's
 * fuzzers/standalone_driver.c).  Arguments are files or directories (read
 * recursively, in name order).
 *
 *   --fork     run each input in a child process and report every input that
 *              crashes, times out (--timeout S, default 20) or fails, instead
 *              of stopping at the first;
 *   --pending  with --fork: failures are known, reported bugs of code that is
 *              being fixed elsewhere (tests/reliability/regressions); print
 *              them and exit 77, which meson reports as SKIP, until they pass.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int fork_mode, pending_mode;
static unsigned timeout_s = 20;
static size_t n_run, n_failed;

static int read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			fclose(f);
			return -1;
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (n < cap)
			break;
		cap *= 2;
		uint8_t *nb = realloc(buf, cap);
		if (!nb)
			free(buf);
		buf = nb;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		return -1;
	}
	/* an exact-size copy, so ASan catches reads past the end */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	*data = exact;
	*len = n;
	return 0;
}

static void run_one(const char *path)
{
	uint8_t *data;
	size_t len;
	if (read_file(path, &data, &len) != 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
		n_failed++;
		return;
	}
	n_run++;
	if (!fork_mode) {
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(timeout_s);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		_exit(0);
	}
	free(data);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		fprintf(stderr, "%s: cannot run: %s\n", path, strerror(errno));
		n_failed++;
		return;
	}
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "%s: %s (signal %d)\n", path,
			WTERMSIG(st) == SIGALRM ? "timed out" : "crashed", WTERMSIG(st));
		n_failed++;
	} else if (WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s: failed (exit %d)\n", path, WEXITSTATUS(st));
		n_failed++;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0 && pending_mode && errno == ENOENT)
		return; /* no pending cases (git keeps no empty folder) */
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		n_failed++;
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		run_one(path);
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		n_failed++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof *names);
			if (!nn)
				abort();
			names = nn;
		}
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(l);
		if (!names[n])
			abort();
		snprintf(names[n], l, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (n) /* qsort wants a non-NULL base, even for nothing */
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		run_path(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int paths = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fork"))
			fork_mode = 1;
		else if (!strcmp(argv[i], "--pending"))
			pending_mode = 1;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = (unsigned)atoi(argv[++i]);
		else
			paths++;
	}
	if (!paths) {
		fprintf(stderr, "usage: %s [--fork [--pending]] [--timeout S] FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timeout")) {
			i++;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] == '-')
			continue;
		run_path(argv[i]);
	}
	printf("%s: %zu inputs replayed, %zu failed\n", argv[0], n_run, n_failed);
	if (n_failed && pending_mode) {
		printf("known bugs still open (see the README.md next to them); reported as SKIP\n");
		return 77;
	}
	return n_failed ? 1 : 0;
}
