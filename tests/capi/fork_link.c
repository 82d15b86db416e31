/* fork_link.c — the debug link across fork(), as in a pre-forking server whose workers JIT
 * (PostgreSQL's backends). Run with JITDEBUG_LISTEN=127.0.0.1:0 (port 0: the child gets a link of
 * its own) or with a fixed port (the child has none). argv[1]: an object file; argv[2]: "own" or
 * "none", what the child must have. The parent registers an object and forks; the child registers
 * one; each asks its own link for HELLO and LIST through libjitdebug's client. Prints "ok"/"FAIL"
 * lines, exits 0 when all hold. */
#include "jitdebug-hooks.h"
#include "jitdebug.h"
#include "objfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char jitdebug_link_address[];

static int failures;
static void check(int ok, const char *who, const char *what)
{
	printf("%s %s: %s\n", ok ? "ok  " : "FAIL", who, what);
	fflush(stdout);
	failures += !ok;
}

static int count_object(const struct jd_link_object *o, void *ctx)
{
	(void)o;
	(*(int *)ctx)++;
	return 0;
}

/* HELLO from the link at addr answers with pid, and LIST holds objects. */
static void ask(const char *who, const char *addr, int objects)
{
	char err[256];
	struct jd_client *c = jd_client_connect(addr, NULL, err, sizeof(err));
	check(c != NULL, who, "its link answers");
	if (!c) {
		printf("    %s\n", err);
		return;
	}
	check(jd_client_info(c)->pid == (uint32_t)getpid(), who, "HELLO gives its own pid");
	int n = 0;
	check(jd_client_list(c, 0, count_object, &n, err, sizeof(err)) == 0 && n == objects, who, "LIST gives its objects");
	jd_client_close(c);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	size_t size;
	uint8_t *obj = read_object(argv[1], &size);
	uint64_t id;
	if (!obj || jd_register_object(obj, size, NULL, &id) != 0)
		return 1;
	char parent_addr[128];
	snprintf(parent_addr, sizeof(parent_addr), "%s", jitdebug_link_address);
	check(parent_addr[0] != '\0', "parent", "has a link");

	pid_t pid = fork();
	if (pid == 0) {
		failures = 0;
		check(strcmp(jitdebug_link_address, parent_addr) != 0, "child", "does not advertise the parent's link");
		check(jd_register_object(obj, size, NULL, &id) == 0, "child", "registers an object");
		if (strcmp(argv[2], "own") == 0) {
			check(jitdebug_link_address[0] && strcmp(jitdebug_link_address, parent_addr) != 0, "child",
			      "has a link of its own after its first registration");
			if (jitdebug_link_address[0])
				ask("child", jitdebug_link_address, 2);
		} else {
			check(jitdebug_link_address[0] == '\0', "child", "has no link (the parent holds the fixed port)");
		}
		_exit(failures ? 1 : 0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "parent", "the child's checks passed");
	ask("parent", parent_addr, 1);
	free(obj);
	return failures ? 1 : 0;
}
