/* cli.h — the verbs of the jitdebug CLI. Each returns the process exit status: 0 success, 1 failure,
 * 2 bad usage (and perf record passes the recorded command's status through). */
#ifndef JD_CLI_H
#define JD_CLI_H
int cli_perf_record(int argc, char **argv);
int cli_perf_report(int argc, char **argv);
int cli_jitdump_check(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_fetch(int argc, char **argv);
int cli_symbolize(int argc, char **argv);
int cli_watch(int argc, char **argv);
int cli_add_symbol_file(int argc, char **argv);
/* Runs argv (argv[0] looked up in PATH) and waits: its exit status, 128+signal, or 127 if it could
 * not be started. env_add: NULL-terminated "NAME=VALUE" strings set in the child only. */
int cli_run(char *const argv[], char *const env_add[], const char *stdout_path);
/* Maps a file read-only: its bytes (a static "" for an empty file), or NULL after printing
 * "jitdebug: PATH: reason" to stderr. Release with cli_unmap_file. */
const unsigned char *cli_map_file(const char *path, unsigned long *size);
void cli_unmap_file(const unsigned char *data, unsigned long size);
#endif
