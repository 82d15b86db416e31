/* verb_perf.c — `jitdebug perf record` and `jitdebug perf report`.
 *
 * record: runs COMMAND under `perf record -k 1` (CLOCK_MONOTONIC, which the jitdump's timestamps
 * use) with the hooks' perf outputs on (JITDEBUG_PERFMAP=1, JITDEBUG_JITDUMP=DIR/jit) and the hooks
 * preloaded unless the command is jitdebug-executor (which has them inside) or --no-preload; then
 * `perf inject --jit` writes DIR/perf.jit.data. The default event is cpu-clock, which works where
 * hardware counters are missing (VMs). Exit status: the command's.
 * report: the JIT code first — every JIT function with samples (the jitted-*.so DSOs perf inject made
 * from the jitdump, or names from the perf map), by source line, with the JIT share of all samples —
 * then perf's whole report (sorted by symbol and source line, nothing hidden by a percent limit). */
#include "cli.h"
#include "jitdebug-version.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int cli_run(char *const argv[], char *const env_add[], const char *stdout_path)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		for (int i = 0; env_add && env_add[i]; i++)
			putenv(env_add[i]);
		if (stdout_path && !freopen(stdout_path, "w", stdout))
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "jitdebug: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* PREFIX/bin/jitdebug -> PREFIX/lib/libjitdebug-hooks.so.ABI (the runtime name: an installed system has
 * no development link without the -dev package) */
static int hooks_path(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *dir = dirname(self);
	if (snprintf(out, len, "%s/../lib/libjitdebug-hooks.so.%d", dir, JD_ABI_VERSION) >= (int)len ||
	    access(out, R_OK) != 0)
		return -1;
	return 0;
}

static char *trim(char *s);
static double jit_share(const char *jitdata, const char *dir);

/* Runs argv (perf report, perf script) with its standard output in a temporary file in dir, and opens
 * that file for reading (already unlinked: nothing is left behind). NULL when it could not be run or
 * failed; *status says how it ended. */
static FILE *run_captured(char *const argv[], const char *dir, int *status)
{
	char tmp[PATH_MAX];
	*status = 127;
	if (snprintf(tmp, sizeof(tmp), "%s/.jitdebug.XXXXXX", dir) >= (int)sizeof(tmp))
		return NULL;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "jitdebug: cannot write in %s: %s\n", dir, strerror(errno));
		return NULL;
	}
	close(fd);
	*status = cli_run(argv, NULL, tmp);
	FILE *f = *status == 0 ? fopen(tmp, "r") : NULL;
	unlink(tmp);
	return f;
}

/* The jitdumps perf inject read for data: the jit-PID.dump files the recorded processes mapped (the
 * marker perf looks for), wherever the program wrote them (V8 in its working directory, BEAM in /tmp).
 * Their paths, one per line, into out (empty when there is none). */
static void marker_dumps(const char *data, const char *dir, char *out, size_t len)
{
	out[0] = '\0';
	char *script[] = {"perf", "script", "-i", (char *)data, "--show-mmap-events", "-F", "ip", NULL};
	int st;
	FILE *f = run_captured(script, dir, &st);
	char line[PATH_MAX + 256];
	while (f && fgets(line, sizeof(line), f)) {
		char *path = strrchr(line, ' ');
		if (!strstr(line, "PERF_RECORD_MMAP") || !path)
			continue;
		path = trim(path);
		const char *base = strrchr(path, '/');
		size_t n = strlen(path), used = strlen(out);
		if (!base || strncmp(base, "/jit-", 5) != 0 || n < 5 || strcmp(path + n - 5, ".dump") != 0 ||
		    strstr(out, path) || used + n + 2 > len)
			continue;
		snprintf(out + used, len - used, "%s%s", used ? ", " : "", path);
	}
	if (f)
		fclose(f);
}

/* Whether dir holds a jit-*.dump (the hooks create dir when they open their dump). */
static int has_jitdump(const char *dir)
{
	DIR *d = opendir(dir);
	int found = 0;
	for (struct dirent *e; d && !found && (e = readdir(d));)
		found = strncmp(e->d_name, "jit-", 4) == 0 && strstr(e->d_name, ".dump") != NULL;
	if (d)
		closedir(d);
	return found;
}

int cli_perf_record(int argc, char **argv)
{
	const char *dir = "jitdebug-perf", *event = "cpu-clock";
	int preload = 1, callgraph = 0, i;
	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-o") == 0) {
			if (!(dir = cli_value(argc, argv, &i, "perf record")))
				return 2;
		} else if (strcmp(argv[i], "-e") == 0) {
			if (!(event = cli_value(argc, argv, &i, "perf record")))
				return 2;
		} else if (strcmp(argv[i], "-g") == 0)
			callgraph = 1;
		else if (strcmp(argv[i], "--no-preload") == 0)
			preload = 0;
		else {
			fprintf(stderr, "jitdebug perf record: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc - 1) {
		cli_verb_usage("perf record");
		return 2;
	}
	char **cmd = argv + i + 1;
	int ncmd = argc - i - 1;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "jitdebug: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	char data[PATH_MAX], jitdata[PATH_MAX], jitdir[PATH_MAX], log[PATH_MAX];
	snprintf(data, sizeof(data), "%s/perf.data", dir);
	snprintf(jitdata, sizeof(jitdata), "%s/perf.jit.data", dir);
	snprintf(jitdir, sizeof(jitdir), "%s/jit", dir);
	snprintf(log, sizeof(log), "%s/inject.log", dir);

	static char env_pm[] = "JITDEBUG_PERFMAP=1";
	char env_jd[PATH_MAX + 32], env_pre[2 * PATH_MAX + 32];
	char abs_jitdir[PATH_MAX];
	if (!realpath(dir, abs_jitdir)) {
		fprintf(stderr, "jitdebug: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(env_jd, sizeof(env_jd), "JITDEBUG_JITDUMP=%s/jit", abs_jitdir);
	char *env[4] = {env_pm, env_jd, NULL, NULL};
	char *base = strrchr(cmd[0], '/');
	base = base ? base + 1 : cmd[0];
	if (preload && strcmp(base, "jitdebug-executor") != 0) {
		char hooks[PATH_MAX];
		if (hooks_path(hooks, sizeof(hooks)) != 0) {
			fprintf(stderr, "jitdebug: libjitdebug-hooks.so not found next to this program; use --no-preload\n");
			return 1;
		}
		const char *old = getenv("LD_PRELOAD");
		snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s%s%s", hooks, old && *old ? ":" : "", old ? old : "");
		env[2] = env_pre;
	}

	char **perf = calloc((size_t)ncmd + 12, sizeof(*perf));
	int k = 0;
	perf[k++] = "perf";
	perf[k++] = "record";
	perf[k++] = "-k";
	perf[k++] = "1";
	perf[k++] = "-e";
	perf[k++] = (char *)event;
	if (callgraph) {
		perf[k++] = "--call-graph";
		perf[k++] = "dwarf";
	}
	perf[k++] = "-o";
	perf[k++] = data;
	perf[k++] = "--";
	for (int c = 0; c < ncmd; c++)
		perf[k++] = cmd[c];
	int status = cli_run(perf, env, NULL);
	free(perf);
	if (access(data, R_OK) != 0) {
		fprintf(stderr, "jitdebug: perf record wrote no %s (status %d)\n", data, status);
		return status ? status : 1;
	}
	char *inject[] = {"perf", "inject", "--jit", "-i", data, "-o", jitdata, NULL};
	int ist = cli_run(inject, NULL, log);
	if (ist != 0) {
		fprintf(stderr, "jitdebug: perf inject --jit failed (status %d); see %s\n", ist, log);
		return 1;
	}
	char own[2048] = "";
	double share = 0;
	if (!has_jitdump(jitdir)) {
		marker_dumps(data, dir, own, sizeof(own));
		if (!own[0])
			share = jit_share(jitdata, dir);
	}
	if (has_jitdump(jitdir))
		fprintf(stderr, "jitdebug: recorded %s; with JIT symbols: %s (jitdump and jitted-*.so in %s)\n", data, jitdata,
			jitdir);
	else if (own[0])
		fprintf(stderr, "jitdebug: recorded %s; with JIT symbols: %s (from the program's own jitdump: %s; perf inject "
				"wrote jitted-*.so next to it)\n", data, jitdata, own);
	else if (share > 0)
		fprintf(stderr, "jitdebug: recorded %s and %s; no jitdump, but %.2f%% of the samples are JIT code named from "
				"the program's perf map (/tmp/perf-PID.map): names without source lines\n", data, jitdata, share);
	else
		fprintf(stderr, "jitdebug: recorded %s and %s, but the process wrote no jitdump: JIT code has names only "
				"from /tmp/perf-PID.map if the hooks were loaded (--no-preload without the hooks linked in "
				"names nothing)\n", data, jitdata);
	fprintf(stderr, "jitdebug: next: jitdebug perf report %s\n", dir);
	return status;
}

/* Trims blanks at both ends, in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* JIT code as perf names its DSO: a jitted-PID-N.so perf inject made from a jitdump, or perf-map
 * samples, labelled `[JIT] tid PID` by perf 6.1 and `perf-PID.map` by older ones. */
static int is_jit_dso(const char *dso)
{
	size_t n = strlen(dso);
	return strncmp(dso, "jitted-", 7) == 0 || strncmp(dso, "[JIT] tid ", 10) == 0 ||
	       (strncmp(dso, "perf-", 5) == 0 && n > 4 && strcmp(dso + n - 4, ".map") == 0);
}

/* The JIT share of all samples as perf itself reports it: the sum of the JIT DSOs' rows of `perf report
 * --sort dso`. -1 when perf report failed. */
static double jit_share(const char *jitdata, const char *dir)
{
	char *rep[] = {"perf", "report", "-i", (char *)jitdata, "--stdio", "--no-children", "--sort", "dso",
		       "--percent-limit", "0", "-t", "\t", NULL};
	int st;
	FILE *f = run_captured(rep, dir, &st);
	double share = f ? 0 : -1;
	char line[4096];
	while (f && fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || !tab)
			continue;
		if (is_jit_dso(trim(tab + 1)))
			share += strtod(line, NULL);
	}
	if (f)
		fclose(f);
	return share;
}

/* The JIT part of the profile: every row of `perf report --sort dso,sym,srcline` whose DSO is JIT
 * code, with the JIT share of all samples. 0, or 1 when perf report failed. */
static int report_jit(const char *jitdata, const char *dir)
{
	char *rep[] = {"perf", "report", "-i", (char *)jitdata, "--stdio", "--no-children", "--sort", "dso,sym,srcline",
		       "--percent-limit", "0", "-t", "\t", NULL};
	int st;
	FILE *f = run_captured(rep, dir, &st);
	if (!f) {
		fprintf(stderr, "jitdebug: perf report failed (status %d)\n", st);
		return 1;
	}
	char line[4096], samples[256] = "";
	double jit = 0;
	size_t rows = 0, cap = 0;
	struct row { double pct; char text[512]; } *r = NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "# Samples:", 10) == 0) { /* "958  of event 'cpu-clock'": one space each */
			size_t k = 0;
			for (const char *q = trim(line + 10); *q && k + 1 < sizeof(samples); q++)
				if (*q != ' ' || (k && samples[k - 1] != ' '))
					samples[k++] = *q;
			samples[k] = '\0';
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *fields[4] = {0}, *save = NULL, *tok = strtok_r(line, "\t", &save);
		for (int k = 0; tok && k < 4; k++, tok = strtok_r(NULL, "\t", &save))
			fields[k] = trim(tok);
		if (!fields[2] || !is_jit_dso(fields[1]))
			continue;
		double pct = strtod(fields[0], NULL);
		const char *sym = strncmp(fields[2], "[.] ", 4) == 0 ? fields[2] + 4 : fields[2];
		if (rows == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct row *nr = realloc(r, ncap * sizeof(*r));
			if (!nr)
				break;
			r = nr;
			cap = ncap;
		}
		r[rows].pct = pct;
		snprintf(r[rows].text, sizeof(r[rows].text), "%-40s %s", sym, fields[3] ? fields[3] : "");
		for (char *q = r[rows].text; *q; q++) /* a runtime's garbage file names (V8's) stay on their row */
			if ((unsigned char)*q < 0x20)
				*q = '?';
		rows++;
		jit += pct;
	}
	fclose(f);
	double share = jit_share(jitdata, dir); /* perf's own per-DSO figure: no sum of rounded rows */
	if (share >= 0)
		jit = share;
	printf("# JIT code: %.2f%% of all samples%s%s%s\n", jit, samples[0] ? " (" : "", samples, samples[0] ? ")" : "");
	if (!rows)
		printf("# no JIT function has samples: was the process running with the jitdebug hooks and perf outputs on?\n");
	else
		printf("# %8s  %-40s %s\n", "Overhead", "JIT function", "Source:Line");
	for (size_t k = 0; k < rows; k++)
		printf("  %8.2f%%  %s\n", r[k].pct, r[k].text);
	printf("#\n# The whole profile (perf report):\n#\n");
	fflush(stdout);
	free(r);
	return 0;
}

int cli_perf_report(int argc, char **argv)
{
	const char *dir = "jitdebug-perf";
	int i = 0;
	if (i < argc && strcmp(argv[i], "--") != 0)
		dir = argv[i++];
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	char jitdata[PATH_MAX];
	snprintf(jitdata, sizeof(jitdata), "%s/perf.jit.data", dir);
	if (access(jitdata, R_OK) != 0) {
		fprintf(stderr, "jitdebug: no %s: run `jitdebug perf record -o %s -- COMMAND` first\n", jitdata, dir);
		return 1;
	}
	if (report_jit(jitdata, dir) != 0)
		return 1;
	char **rep = calloc((size_t)(argc - i) + 12, sizeof(*rep));
	if (!rep)
		return 1;
	int k = 0;
	rep[k++] = "perf";
	rep[k++] = "report";
	rep[k++] = "-i";
	rep[k++] = jitdata;
	rep[k++] = "--stdio";
	rep[k++] = "--no-children";
	rep[k++] = "--sort";
	rep[k++] = "sym,srcline";
	for (; i < argc; i++)
		rep[k++] = argv[i];
	int st = cli_run(rep, NULL, NULL);
	free(rep);
	return st;
}
