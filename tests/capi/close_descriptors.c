/* close_descriptors.c — a program that closes the descriptors it did not open and reuses the numbers
 * (daemons, Erlang's erl_child_setup: closerange(3, ...)), with the hooks and their debug link
 * (JITDEBUG_LISTEN=127.0.0.1:0) inside. argv[1]: an object file. The hooks must leave the program's
 * descriptors alone and cost nothing afterwards:
 *   - the program's own listener, opened on the link's old numbers, gets all its connections;
 *   - the link's thread notices within a bounded time that its descriptors are gone, and ends (a
 *     thread that polled a closed descriptor spun forever at 100 % of a core);
 *   - CPU time over 2 s idle is printed (not asserted: the thread being gone is the check);
 *   - the next registration starts the link anew on descriptors of its own, and it answers LIST.
 * Every wait is bounded. Ends with "N passed, N failed". */
#include "jitdebug-hooks.h"
#include "jitdebug.h"
#include "objfile.h"
#include "place.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

extern char jitdebug_link_address[];

static int passed, failed;
static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	fflush(stdout);
	ok ? passed++ : failed++;
}

static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static int count_object(const struct jd_link_object *o, void *ctx)
{
	(void)o;
	(*(int *)ctx)++;
	return 0;
}

/* The descriptor listening on addr ("HOST:PORT"), or -1. */
static int listener_of(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	int port = colon ? atoi(colon + 1) : 0;
	for (int fd = 3; fd < 1024 && port; fd++) {
		struct sockaddr_in sa;
		socklen_t len = sizeof(sa);
		int listening = 0;
		socklen_t il = sizeof(listening);
		if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET &&
		    ntohs(sa.sin_port) == port && getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &il) == 0 && listening)
			return fd;
	}
	return -1;
}

int main(int argc, char **argv)
{
	alarm(60);
	if (argc != 2)
		return 2;
	size_t size;
	uint8_t *obj = read_object(argv[1], &size);
	if (!obj)
		return 2;
	place_object(obj);
	check(jitdebug_link_address[0] != '\0', "the link listens (JITDEBUG_LISTEN)");
	int before = threads(), link_fd = listener_of(jitdebug_link_address);
	check(link_fd >= 3, "the link's listening descriptor is found");

	/* The program takes every descriptor above stderr back, as closerange(3, ~0U) does, then opens
	 * its own: its listener on the number the link listened on (placed there with dup2, whatever the
	 * lowest free number is where the test runs), and a socket pair on the lowest free ones. */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), pair[2];
	if (lfd >= 0 && link_fd >= 0 && lfd != link_fd && dup3(lfd, link_fd, O_CLOEXEC) == link_fd) {
		close(lfd);
		lfd = link_fd;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	check(lfd == link_fd && bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 16) == 0 &&
		      getsockname(lfd, (struct sockaddr *)&a, &al) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0,
	      "the program opens a listener on the link's old number, and a socket pair");
	int clients[3];
	for (int i = 0; i < 3; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(clients[i], (struct sockaddr *)&a, sizeof(a)) != 0)
			perror("connect");
	}
	sleep_ms(1500); /* the link's thread has had its turns (it used to poll every 250 ms) */
	int got = 0;
	struct pollfd p = {lfd, POLLIN, 0};
	while (got < 3 && poll(&p, 1, 2000) == 1) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			break;
		got++;
		close(c);
	}
	printf("    the program accepted %d of 3 connections\n", got);
	check(got == 3, "every connection reaches the program's own listener (none taken by the link)");
	char b = 'x';
	check(write(pair[0], &b, 1) == 1 && read(pair[1], &b, 1) == 1 && b == 'x',
	      "the program's socket pair carries its own bytes only");

	int gone = 0;
	for (int i = 0; i < 100 && !gone; i++) {
		struct jd_hooks_stats s = {.sz = sizeof(s)};
		jd_hooks_stats(&s);
		gone = s.link_lost >= 1 && threads() == before - 1 && jitdebug_link_address[0] == '\0';
		if (!gone)
			sleep_ms(100);
	}
	check(gone, "the link noticed its descriptors were taken back, counted it, and its thread ended");
	double c0 = cpu_s();
	sleep_ms(2000);
	printf("    CPU over 2 s idle after the program closed the link's descriptors: %.0f ms\n", (cpu_s() - c0) * 1000);

	uint64_t id;
	check(jd_register_object(obj, size, NULL, &id) == 0, "a registration after that");
	check(jitdebug_link_address[0] != '\0', "the link starts anew at that registration");
	char err[256];
	struct jd_client *c = jitdebug_link_address[0] ? jd_client_connect(jitdebug_link_address, NULL, err, sizeof(err)) : NULL;
	int n = 0;
	check(c && jd_client_list(c, 0, count_object, &n, err, sizeof(err)) == 0 && n == 1,
	      "the new link answers LIST with the object");
	if (c)
		jd_client_close(c);
	printf("%d passed, %d failed\n", passed, failed);
	free(obj);
	return failed != 0;
}
