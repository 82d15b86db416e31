/* cli.h — the verbs of the jitdebug CLI. Each returns the process exit status: 0 success, 1 failure,
 * 2 bad usage (and perf record passes the recorded command's status through). */
#ifndef JD_CLI_H
#define JD_CLI_H
#include <stddef.h>
#include <stdint.h>
/* Room for any message a library call reports through err/errlen. */
#define JD_CLI_ERRLEN 256
int cli_perf_record(int argc, char **argv);
int cli_perf_report(int argc, char **argv);
int cli_jitdump_check(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_fetch(int argc, char **argv);
int cli_symbolize(int argc, char **argv);
int cli_watch(int argc, char **argv);
int cli_publish(int argc, char **argv);
int cli_add_symbol_file(int argc, char **argv);
int cli_core(int argc, char **argv);
/* verbs.c: the one table of verbs. cli_run_verb: runs the verb argv names (argv[0], or argv[0] and
 * argv[1] for "perf record"), its status, or -1 when no verb has that name; cli_usage: every verb's
 * synopsis; cli_verb_usage: "usage: jitdebug VERB SYNOPSIS" on stderr; cli_help: `jitdebug help
 * [VERB]`; cli_man: the man page (roff) on stdout. */
#include <stdio.h>
void cli_usage(FILE *f);
void cli_verb_usage(const char *verb);
void cli_version(void);
int cli_help(int argc, char **argv);
int cli_man(void);
int cli_run_verb(int argc, char **argv);
/* Prints the GDB add-symbol-file command that loads the JIT debug object in path at its addresses:
 * 0, or 1 after a message on stderr. */
int cli_print_add_symbol_file(const char *path);
/* Runs argv (argv[0] looked up in PATH) and waits: its exit status, 128+signal, or 127 if it could
 * not be started. env_add: NULL-terminated "NAME=VALUE" strings set in the child only. */
int cli_run(char *const argv[], char *const env_add[], const char *stdout_path);
/* Maps a file read-only: its bytes (a static "" for an empty file), or NULL after printing
 * "jitdebug: PATH: reason" to stderr. Release with cli_unmap_file. */
const unsigned char *cli_map_file(const char *path, unsigned long *size);
void cli_unmap_file(const unsigned char *data, unsigned long size);
/* The value of option argv[*i], advancing *i; NULL after "jitdebug VERB: option '-x' needs a value". */
const char *cli_value(int argc, char **argv, int *i, const char *verb);
/* jd_parse_u64 with a message naming what was wrong ("--timeout 2147484 is out of range (0 to 86400)"):
 * 0, or -1 after the message. */
int cli_number(const char *verb, const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Writes a new file (an existing one is replaced, never written through): 0, or -1 after a message. */
int cli_write_file(const char *path, const void *data, size_t size);
#endif
