/* verb_link.c — the CLI verbs over the debug link: list, fetch, symbolize, watch, publish (docs/cli.md). */
#include "cli.h"
#include "dwarf-lines.h"
#include "jitdebug.h"
#include "jitdebug-types.h"
#include "files.h"
#include "listing.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TIMEOUT_S = 86400 }; /* --timeout: seconds, at most a day */

struct link_args {
	const char *connect, *token, *out, *symbol, *file;
	int json, count, timeout_s;
	uint32_t pid;
	char **rest;
	int nrest;
};

static int parse(int argc, char **argv, struct link_args *a, const char *verb)
{
	memset(a, 0, sizeof(*a));
	a->token = getenv("JITDEBUG_TOKEN");
	a->timeout_s = -1;
	a->rest = argv; /* the positional arguments, gathered at its front as they are met: nothing to free */
	static const struct { const char *name; size_t off; } strings[] = {
		{"--connect", offsetof(struct link_args, connect)}, {"--token", offsetof(struct link_args, token)},
		{"-o", offsetof(struct link_args, out)},             {"--symbol", offsetof(struct link_args, symbol)},
		{"--file", offsetof(struct link_args, file)},
	};
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		int known = 0;
		for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]) && !known; k++) {
			if (strcmp(o, strings[k].name) != 0)
				continue;
			known = 1;
			const char *v = cli_value(argc, argv, &i, verb);
			if (!v)
				return -1;
			*(const char **)((char *)a + strings[k].off) = v;
		}
		if (known)
			continue;
		if (strcmp(o, "--pid") == 0) {
			const char *v = cli_value(argc, argv, &i, verb);
			uint64_t n;
			if (!v || cli_number(verb, "--pid", v, 1, UINT32_MAX, &n) != 0)
				return -1;
			a->pid = (uint32_t)n;
		} else if (strcmp(o, "--count") == 0 || strcmp(o, "--timeout") == 0) {
			const char *v = cli_value(argc, argv, &i, verb);
			uint64_t n;
			int count = o[2] == 'c';
			if (!v || cli_number(verb, o, v, 0, count ? INT32_MAX : MAX_TIMEOUT_S, &n) != 0)
				return -1;
			*(count ? &a->count : &a->timeout_s) = (int)n;
		} else if (strcmp(o, "--json") == 0) {
			a->json = 1;
		} else if (o[0] == '-' && o[1] != '\0') {
			fprintf(stderr, "jitdebug %s: unknown option '%s'\n", verb, o);
			return -1;
		} else {
			a->rest[a->nrest++] = argv[i]; /* nrest <= i: only slots already read are written */
		}
	}
	if (!a->connect) {
		fprintf(stderr, "jitdebug %s: --connect HOST:PORT is required (the JIT process prints it: \"debug link "
				"listening on ...\")\n", verb);
		return -1;
	}
	return 0;
}

static struct jd_client *connect_or_say(const struct link_args *a, const char *verb)
{
	char err[256];
	struct jd_client_opts o = {.sz = sizeof(o), .token = a->token, .timeout_ms = 10000, .expect_pid = a->pid};
	struct jd_client *c = jd_client_connect(a->connect, &o, err, sizeof(err));
	if (!c)
		fprintf(stderr, "jitdebug %s: %s\n", verb, err);
	return c;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

struct list_out {
	int json, n;
};

static int print_object(const struct jd_link_object *o, void *p)
{
	struct list_out *l = p;
	char id[24];
	jd_id_format(o->id, id, sizeof(id));
	int foreign = (o->flags & JD_OBJECT_FOREIGN) != 0;
	char bid[2 * JD_BUILD_ID_MAX + 1] = "-";
	if (o->build_id_size)
		jd_build_id_format(o->build_id, o->build_id_size, bid, sizeof(bid));
	if (l->json) {
		printf("%s{\"id\":%llu,\"ref\":\"%s\",\"foreign\":%s,\"lo\":\"0x%llx\",\"hi\":\"0x%llx\",\"size\":%llu,"
		       "\"announced\":%s,\"build_id\":",
		       l->n ? "," : "", (unsigned long long)o->id, id, foreign ? "true" : "false", (unsigned long long)o->lo,
		       (unsigned long long)o->hi, (unsigned long long)o->size,
		       (o->flags & JD_OBJECT_ANNOUNCED) ? "true" : "false");
		if (o->build_id_size)
			printf("\"%s\"", bid);
		else
			printf("null");
		printf(",\"first_symbol\":");
		json_str(stdout, o->first_symbol);
		printf("}");
	} else {
		char row[1024];
		jd_list_row(row, sizeof(row), o->id, o->lo, o->hi, o->size, bid,
			    foreign ? "other" : (o->flags & JD_OBJECT_ANNOUNCED) ? "announced" : "-", NULL, o->first_symbol);
		fputs(row, stdout);
	}
	l->n++;
	return 0;
}

int cli_list(int argc, char **argv)
{
	struct link_args a;
	if (parse(argc, argv, &a, "list") < 0)
		return 2;
	struct jd_client *c = connect_or_say(&a, "list");
	if (!c)
		return 1;
	struct list_out l = {a.json, 0};
	char head[256];
	jd_list_header(head, sizeof(head), 0);
	if (a.json)
		printf("{\"pid\":%u,\"generation\":%llu,\"objects\":[", jd_client_info(c)->pid,
		       (unsigned long long)jd_client_info(c)->generation);
	else
		fputs(head, stdout);
	char why[JD_CLI_ERRLEN];
	int err = jd_client_list(c, 0, print_object, &l, why, sizeof(why));
	if (a.json)
		printf("]}\n");
	if (err)
		fprintf(stderr, "jitdebug list: %s\n", why);
	jd_client_close(c);
	return err ? 1 : 0;
}

int cli_fetch(int argc, char **argv)
{
	struct link_args a;
	if (parse(argc, argv, &a, "fetch") < 0)
		return 2;
	if (a.nrest != 1 || !a.out) {
		cli_verb_usage("fetch");
		return 2;
	}
	uint64_t id;
	if (jd_id_parse(a.rest[0], &id) != 0) {
		fprintf(stderr, "jitdebug fetch: '%s' is not an object id (a registry id, or f<hex> for another "
				"registrar's object, as `jitdebug list` prints them)\n", a.rest[0]);
		return 2;
	}
	struct jd_client *c = connect_or_say(&a, "fetch");
	if (!c)
		return 1;
	uint8_t *data;
	size_t size;
	char why[JD_CLI_ERRLEN];
	int err = jd_client_fetch(c, id, &data, &size, why, sizeof(why));
	if (err) {
		fprintf(stderr, "jitdebug fetch: object %s: %s\n", a.rest[0], why);
		jd_client_close(c);
		return 1;
	}
	jd_client_close(c);
	int ok = cli_write_file(a.out, data, size) == 0;
	free(data);
	if (!ok)
		return 1;
	fprintf(stderr, "jitdebug: object %s: %zu bytes written to %s\n", a.rest[0], size, a.out);
	return 0;
}

struct publish_run {
	struct jd_client *c;
	const char *dir;
	size_t written, existing, failed;
	uint64_t ids[4096];
	size_t n;
	int more;
};

static int collect_id(const struct jd_link_object *o, void *p)
{
	struct publish_run *r = p;
	if (r->n == sizeof(r->ids) / sizeof(r->ids[0])) {
		r->more = 1;
		return 1;
	}
	r->ids[r->n++] = o->id;
	return 0;
}

/* publish: every object of the process into DIR by build-id, fetched over the link in pages of 4,096
 * ids (each fetched object is written, then freed). */
int cli_publish(int argc, char **argv)
{
	struct link_args a;
	if (parse(argc, argv, &a, "publish") < 0)
		return 2;
	if (a.nrest != 1) {
		cli_verb_usage("publish");
		return 2;
	}
	struct jd_client *c = connect_or_say(&a, "publish");
	if (!c)
		return 1;
	static struct publish_run r;
	memset(&r, 0, sizeof(r));
	r.dir = a.rest[0];
	char why[JD_CLI_ERRLEN];
	uint64_t after = 0;
	int err = 0;
	do {
		r.n = 0;
		r.more = 0;
		if ((err = jd_client_list(c, after, collect_id, &r, why, sizeof(why))) != 0) {
			fprintf(stderr, "jitdebug publish: %s\n", why);
			break;
		}
		for (size_t i = 0; i < r.n; i++) {
			char id[24], hex[2 * JD_BUILD_ID_MAX + 1], msg[400];
			uint8_t *data, bid[JD_BUILD_ID_MAX];
			uint32_t bid_len = 0;
			size_t size;
			int written = 0;
			jd_id_format(r.ids[i], id, sizeof(id));
			after = r.ids[i];
			if (jd_client_fetch(c, r.ids[i], &data, &size, why, sizeof(why)) != 0) {
				fprintf(stderr, "jitdebug publish: object %s: %s\n", id, why); /* unregistered meanwhile */
				r.failed++;
				continue;
			}
			if (jd_object_publish(r.dir, data, size, bid, &bid_len, &written, msg, sizeof(msg)) != 0) {
				fprintf(stderr, "jitdebug publish: object %s: %s\n", id, msg);
				r.failed++;
			} else {
				jd_build_id_format(bid, bid_len, hex, sizeof(hex));
				printf("%s %s %s\n", id, hex, written ? "published" : "already there");
				*(written ? &r.written : &r.existing) += 1;
			}
			free(data);
		}
	} while (r.more);
	jd_client_close(c);
	fprintf(stderr, "jitdebug publish: %zu published, %zu already in %s, %zu failed\n", r.written, r.existing, r.dir,
		r.failed);
	return err || r.failed ? 1 : 0;
}

/* function+offset and file:line of addr in the fetched object. */
static void describe(const uint8_t *obj, size_t size, uint64_t addr, char *out, size_t len)
{
	struct jd_elf *elf = jd_elf_open(obj, size, NULL, NULL, 0);
	const char *fn = NULL;
	uint64_t fn_addr = 0;
	for (size_t i = 0; elf && i < jd_elf_symbol_count(elf); i++) {
		struct jd_elf_symbol s;
		if (jd_elf_symbol(elf, i, &s) == 0 && s.type == STT_FUNC && s.defined && addr >= s.addr &&
		    addr < s.addr + (s.size ? s.size : 1)) {
			fn = s.name;
			fn_addr = s.addr;
			break;
		}
	}
	int n = fn ? snprintf(out, len, "%s+0x%llx", fn, (unsigned long long)(addr - fn_addr)) : snprintf(out, len, "??");
	struct jd_lines *lines = jd_lines_read(obj, size);
	size_t rows_n = 0;
	const struct jd_line *rows = lines ? jd_lines_rows(lines, &rows_n) : NULL;
	const struct jd_line *best = NULL;
	for (size_t i = 0; i < rows_n && rows[i].addr <= addr; i++)
		best = &rows[i];
	if (best && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, " at %s:%d", best->file, best->line);
	jd_lines_free(lines);
	jd_elf_close(elf);
}

/* An address in hex, with or without 0x. */
static int parse_hex(const char *s, uint64_t *out)
{
	char buf[40];
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return snprintf(buf, sizeof(buf), "0x%s", s) < (int)sizeof(buf) && jd_parse_u64(buf, 0, UINT64_MAX, out) == 0;
}

/* Whether HOST:PORT is this machine (loopback): only then is /tmp/perf-PID.map the process's. */
static int link_is_local(const char *hostport)
{
	char host[256], why[8];
	uint16_t port;
	if (!hostport || jd_parse_hostport(hostport, host, sizeof(host), &port, why, sizeof(why)) != 0)
		return 0;
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 || strcmp(host, "localhost") == 0;
}

/* The perf map's entry for addr (the last one that covers it: perf maps are appended to and never
 * invalidated, so a newer line wins): 0 with the name in out and its start in *start, or -ENOENT. The
 * file is the process's own, untrusted: at most 256 MiB, every number parsed strictly, names cut at
 * the end of their line. */
static int perfmap_lookup(uint32_t pid, uint64_t addr, char *out, size_t len, uint64_t *start, char *path, size_t plen)
{
	snprintf(path, plen, "/tmp/perf-%u.map", pid);
	size_t size = 0;
	const char *m = jd_map_file(AT_FDCWD, path, 1, 1, 256u << 20, &size);
	if (!m)
		return -ENOENT;
	int found = -ENOENT;
	for (const char *p = m, *end = m + size; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		char head[64];
		size_t hl = (size_t)(eol - p) < sizeof(head) - 1 ? (size_t)(eol - p) : sizeof(head) - 1;
		memcpy(head, p, hl);
		head[hl] = '\0';
		char *e1, *e2;
		errno = 0;
		uint64_t s = strtoull(head, &e1, 16), n = *e1 == ' ' ? strtoull(e1 + 1, &e2, 16) : 0;
		if (!errno && e1 != head && *e1 == ' ' && n && *e2 == ' ' && addr >= s && addr - s < n) {
			const char *name = p + (e2 + 1 - head);
			size_t nlen = (size_t)(eol - name) < len - 1 ? (size_t)(eol - name) : len - 1;
			memcpy(out, name, nlen);
			out[nlen] = '\0';
			*start = s;
			found = 0;
		}
		p = nl ? nl + 1 : end;
	}
	jd_unmap_file(m, size);
	return found;
}

int cli_symbolize(int argc, char **argv)
{
	struct link_args a;
	if (parse(argc, argv, &a, "symbolize") < 0)
		return 2;
	if (a.nrest < 1) {
		cli_verb_usage("symbolize");
		return 2;
	}
	struct jd_client *c = connect_or_say(&a, "symbolize");
	if (!c)
		return 1;
	int status = 0;
	for (int i = 0; i < a.nrest; i++) {
		uint64_t addr;
		struct jd_link_object o;
		uint8_t *data;
		size_t size;
		char why[JD_CLI_ERRLEN];
		if (!parse_hex(a.rest[i], &addr)) {
			printf("%s: not a hex address\n", a.rest[i]);
			status = 1;
		} else if (jd_client_lookup_addr(c, addr, &o, why, sizeof(why)) != 0) {
			/* No object: the name the process's perf map gives (V8, BEAM, .NET write one), on this
			 * machine only, and said so. */
			char name[512], path[64];
			uint64_t start;
			if (link_is_local(a.connect) &&
			    perfmap_lookup(jd_client_info(c)->pid, addr, name, sizeof(name), &start, path, sizeof(path)) == 0) {
				printf("0x%llx: %s+0x%llx (from %s: %s)\n", (unsigned long long)addr, name,
				       (unsigned long long)(addr - start), path, why);
			} else {
				printf("0x%llx: %s\n", (unsigned long long)addr, why);
				status = 1;
			}
		} else if (jd_client_fetch(c, o.id, &data, &size, why, sizeof(why)) != 0) {
			printf("0x%llx: object %llu: %s\n", (unsigned long long)addr, (unsigned long long)o.id, why);
			status = 1;
		} else {
			char what[1024];
			describe(data, size, addr, what, sizeof(what));
			printf("0x%llx: %s (object %llu)\n", (unsigned long long)addr, what, (unsigned long long)o.id);
			free(data);
		}
	}
	jd_client_close(c);
	return status;
}

int cli_watch(int argc, char **argv)
{
	struct link_args a;
	if (parse(argc, argv, &a, "watch") < 0)
		return 2;
	struct jd_client *c = connect_or_say(&a, "watch");
	if (!c)
		return 1;
	char why[JD_CLI_ERRLEN];
	int err = jd_client_subscribe(c, 1, why, sizeof(why));
	uint32_t wid;
	if (!err && a.symbol && (err = jd_client_watch(c, JD_WATCH_SYMBOL, a.symbol, &wid, why, sizeof(why))) == 0)
		printf("watch %u: symbol %s\n", wid, a.symbol);
	if (!err && a.file && (err = jd_client_watch(c, JD_WATCH_FILE, a.file, &wid, why, sizeof(why))) == 0)
		printf("watch %u: file %s\n", wid, a.file);
	if (err) {
		fprintf(stderr, "jitdebug watch: %s\n", why);
		jd_client_close(c);
		return 1;
	}
	printf("watching %s (pid %u)\n", a.connect, jd_client_info(c)->pid);
	fflush(stdout);
	int seen = 0, status = 0;
	while (!a.count || seen < a.count) {
		struct jd_link_event ev;
		err = jd_client_next_event(c, a.timeout_s < 0 ? -1 : a.timeout_s * 1000, &ev, why, sizeof(why));
		if (err) {
			if (err != -ETIMEDOUT) {
				fprintf(stderr, "jitdebug watch: %s\n", why);
				status = 1;
			}
			break;
		}
		if (ev.type == JD_LINK_EV_REGISTERED)
			printf("registered %llu 0x%llx-0x%llx %llu bytes\n", (unsigned long long)ev.id, (unsigned long long)ev.lo,
			       (unsigned long long)ev.hi, (unsigned long long)ev.size);
		else if (ev.type == JD_LINK_EV_UNREGISTERED)
			printf("unregistered %llu\n", (unsigned long long)ev.id);
		else
			printf("match watch %u object %llu\n", ev.watch_id, (unsigned long long)ev.id);
		fflush(stdout);
		seen++;
	}
	jd_client_close(c);
	return status;
}
