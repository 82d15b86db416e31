/* verbs.c — the CLI's one table of verbs: each verb's name, synopsis, description and function, read
 * by the dispatch (main.c), `jitdebug --help`, `jitdebug help VERB` and the man page (`jitdebug --man`,
 * which the build runs to write jitdebug.1). A verb lives in cli/verb_NAME.c. docs/cli.md stays the
 * reference. */
#include "cli.h"
#include "jitdebug-version.h"

#include <stdio.h>
#include <string.h>

struct verb {
	const char *name;     /* as typed: "perf record" */
	const char *synopsis; /* the arguments after the name */
	const char *text;     /* what it does, one paragraph */
	int (*run)(int argc, char **argv); /* the arguments after the name */
};

static const struct verb verbs[] = {
	{"perf record", "[-o DIR] [-e EVENT] [-g] [--no-preload] -- COMMAND [ARG...]",
	 "Records COMMAND with perf, the hooks preloaded and their perf map and jitdump on, then runs perf inject --jit. "
	 "DIR defaults to ./jitdebug-perf. The exit status is COMMAND's.", cli_perf_record},
	{"perf report", "[DIR] [-- PERF-REPORT-OPTIONS...]",
	 "Shows the JIT code's share of the samples, every JIT function with samples by source line, then perf's "
	 "whole report of DIR/perf.jit.data by symbol and source line.", cli_perf_report},
	{"jitdump-check", "[--strict] FILE...",
	 "Validates jitdumps as perf reads them: prints FILE: ok, N records, or every bad record with its offset and "
	 "reason (the first 20) and a count; padding, line-0 entries and unknown record ids that perf reads past "
	 "are counted, not errors. --strict checks them as jitdebug's own writer writes them (none of those). "
	 "Status 1 if any file is bad.", cli_jitdump_check},
	{"list", "--connect HOST:PORT [--token T] [--pid P] [--json]",
	 "Lists the live JIT objects of a process over its debug link: id, address range, size, GDB state and "
	 "first symbol. Objects of other GDB JIT registrars have ids f<hex>. --pid refuses a server that is "
	 "another process.", cli_list},
	{"fetch", "--connect HOST:PORT [--token T] [--pid P] ID -o FILE",
	 "Writes object ID's bytes, with their load addresses, to FILE.", cli_fetch},
	{"symbolize", "--connect HOST:PORT [--token T] [--pid P] ADDR...",
	 "Prints function+offset at file:line (object ID) for each hexadecimal address, or why not.", cli_symbolize},
	{"watch", "--connect HOST:PORT [--token T] [--pid P] [--symbol S] [--file F] [--count N] [--timeout SEC]",
	 "Subscribes to registrations and prints registered, unregistered and match lines as they come.", cli_watch},
	{"publish", "--connect HOST:PORT [--token T] [--pid P] DIR",
	 "Writes every JIT object of the process into DIR by build-id (DIR/XX/REST.debug, each with a "
	 ".note.gnu.build-id note), for `debuginfod -F DIR`. A file already there is left as it is. Prints ID "
	 "BUILD-ID published|already there per object.", cli_publish},
	{"add-symbol-file", "FILE...",
	 "Prints the GDB add-symbol-file command that loads each JIT object file at its addresses.", cli_add_symbol_file},
	{"core", "COREFILE -o DIR [--registry ADDR] [--descriptor ADDR]",
	 "Writes the JIT objects of a core file to DIR: the jitdebug registry and every GDB JIT list found "
	 "through the core's mapped files, and prints the GDB commands that load them. An object whose bytes the "
	 "core lacks is fetched by its build-id from DEBUGINFOD_URLS and placed at the recorded addresses. Status 1 "
	 "when it wrote nothing.", cli_core},
	{"help", "[VERB]", "Describes every verb, or one.", cli_help},
};
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

void cli_usage(FILE *f)
{
	for (size_t i = 0; i < N_VERBS; i++)
		fprintf(f, "%s jitdebug %s %s\n", i ? "      " : "usage:", verbs[i].name, verbs[i].synopsis);
	fprintf(f, "       jitdebug --version\n"
		   "See `jitdebug help VERB`, man jitdebug, and docs/cli.md.\n");
}

void cli_verb_usage(const char *verb)
{
	for (size_t i = 0; i < N_VERBS; i++)
		if (strcmp(verbs[i].name, verb) == 0)
			fprintf(stderr, "usage: jitdebug %s %s\n", verbs[i].name, verbs[i].synopsis);
}

int cli_run_verb(int argc, char **argv)
{
	for (size_t i = 0; i < N_VERBS; i++) {
		const char *name = verbs[i].name, *space = strchr(name, ' ');
		size_t first = space ? (size_t)(space - name) : strlen(name);
		if (strncmp(argv[0], name, first) != 0 || argv[0][first] != '\0')
			continue;
		if (!space)
			return verbs[i].run(argc - 1, argv + 1);
		if (argc >= 2 && strcmp(argv[1], space + 1) == 0)
			return verbs[i].run(argc - 2, argv + 2);
	}
	return -1;
}

void cli_version(void)
{
	printf("jitdebug %s (built with LLVM %s)\n", JD_VERSION_STRING, JD_BUILD_LLVM_VERSION);
}

int cli_help(int argc, char **argv)
{
	if (argc == 0) {
		cli_usage(stdout);
		return 0;
	}
	char name[128] = "";
	for (int i = 0; i < argc && strlen(name) + strlen(argv[i]) + 2 < sizeof(name); i++) {
		if (i)
			strcat(name, " ");
		strcat(name, argv[i]);
	}
	/* The verb, or every verb of a group ("perf" names "perf record" and "perf report"). */
	size_t n = strlen(name);
	int found = 0;
	for (size_t i = 0; i < N_VERBS; i++)
		if (strncmp(verbs[i].name, name, n) == 0 && (verbs[i].name[n] == '\0' || verbs[i].name[n] == ' ')) {
			printf("jitdebug %s %s\n    %s\n", verbs[i].name, verbs[i].synopsis, verbs[i].text);
			found = 1;
		}
	if (found)
		return 0;
	fprintf(stderr, "jitdebug help: no verb '%s'\n", name);
	cli_usage(stderr);
	return 2;
}

/* roff: a backslash is written doubled; a line starting with '.' or '\'' gets a zero-width escape. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++)
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
}

int cli_man(void)
{
	printf(".TH JITDEBUG 1 \"\" \"jitdebug %s\" \"User Commands\"\n", JD_VERSION_STRING);
	printf(".SH NAME\njitdebug \\- JIT objects for debuggers and profilers: perf, the debug link, core files\n");
	printf(".SH SYNOPSIS\n");
	for (size_t i = 0; i < N_VERBS; i++) {
		printf(".B jitdebug %s\n", verbs[i].name);
		roff(stdout, verbs[i].synopsis);
		printf("\n.br\n");
	}
	printf(".B jitdebug \\-\\-version\n");
	printf(".SH DESCRIPTION\n");
	for (size_t i = 0; i < N_VERBS; i++) {
		printf(".TP\n.B %s\n", verbs[i].name);
		roff(stdout, verbs[i].text);
		printf("\n");
	}
	printf(".SH ENVIRONMENT\n.TP\n.B JITDEBUG_TOKEN\nThe debug link's token when \\-\\-token is not given.\n");
	printf(".SH SEE ALSO\n.BR jitdebug-executor (1),\n.BR perf (1),\n.BR gdb (1),\n.BR lldb (1).\n"
	       "The documentation in share/doc/jitdebug: cli.md, protocol.md, environment.md.\n");
	return 0;
}
