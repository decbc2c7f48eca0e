// SPDX-License-Identifier: BSD-2-Clause
/*
 * settings.c - the config file read, applied and its targets expanded
 * (settings.h).
 */
#define _GNU_SOURCE
#include "server/settings.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errmsg.h"
#include "core/grow.h"
#include "server/log.h"

/* Reads the whole file (at most AD_CONFIG_MAX_BYTES + 1 bytes, so that
 * the parser sees a larger one as larger). *text is malloc'd. */
static int read_text(const char *path, char **text, size_t *len)
{
	size_t cap = AD_CONFIG_MAX_BYTES + 1, n = 0;
	char *buf;
	int fd, e = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (e) {
		free(buf);
		return e;
	}
	*text = buf;
	*len = n;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool ad_settings_has_target(const struct ad_settings *set, const char *path)
{
	return set->ntargets && bsearch(&path, set->targets, set->ntargets,
					sizeof(*set->targets), cmp_str) != NULL;
}

/* Whether `real` is one of the command line's --attach files. */
static bool on_command_line(const struct ad_options *cli, const char *real)
{
	for (size_t i = 0; i < cli->nattach_paths; i++) {
		char *r = realpath(cli->attach_paths[i], NULL);
		bool same = r && strcmp(r, real) == 0;

		free(r);
		if (same)
			return true;
	}
	return false;
}

static int add_target(struct ad_settings *set, char *real)
{
	char **grown = ad_grow(set->targets, &set->ctargets, set->ntargets,
			       sizeof(*grown), 4);

	if (!grown) {
		free(real);
		return -ENOMEM;
	}
	set->targets = grown;
	set->targets[set->ntargets++] = real;
	return 0;
}

/* The regular files one target names now (a path or a glob). */
static int expand(struct ad_settings *set, const struct ad_options *cli,
		  const char *pattern)
{
	glob_t g;
	size_t files = 0;
	int rc, e = 0;

	rc = glob(pattern, GLOB_ERR, NULL, &g);
	if (rc == GLOB_NOSPACE)
		return -ENOMEM;
	if (rc) {
		ad_log(AD_LOG_WARN,
		       "%s: attach = %s names no file now: not attached (add "
		       "it and send SIGHUP)",
		       set->file, pattern);
		return 0;
	}
	for (size_t i = 0; i < g.gl_pathc && !e; i++) {
		char *real = realpath(g.gl_pathv[i], NULL);
		struct stat st;

		if (!real || stat(real, &st) || !S_ISREG(st.st_mode)) {
			free(real);
			continue;
		}
		files++;
		if (on_command_line(cli, real))
			free(real);
		else
			e = add_target(set, real);
	}
	globfree(&g);
	if (!e && !files)
		ad_log(AD_LOG_WARN,
		       "%s: attach = %s names no regular file: not attached",
		       set->file, pattern);
	return e;
}

/* Sorts the targets and drops duplicates (a file two globs name). */
static void sort_unique(struct ad_settings *set)
{
	size_t j = 0;

	if (!set->ntargets)
		return;
	qsort(set->targets, set->ntargets, sizeof(*set->targets), cmp_str);
	for (size_t i = 1; i < set->ntargets; i++) {
		if (strcmp(set->targets[i], set->targets[j]) == 0)
			free(set->targets[i]);
		else
			set->targets[++j] = set->targets[i];
	}
	set->ntargets = j + 1;
}

int ad_settings_load(const struct ad_options *cli, struct ad_settings *set,
		     char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int e;

	memset(set, 0, sizeof(*set));
	set->opts = *cli;
	set->file = cli->config_path ? cli->config_path : AD_DEFAULT_CONFIG;
	e = read_text(set->file, &text, &len);
	if (e == -ENOENT && !cli->config_path) {
		/* No file at the default path: the command line alone. */
		set->file = NULL;
		return 0;
	}
	if (e)
		return ad_fail(e, err, errlen, "cannot read %s: %s", set->file,
			       strerror(-e));
	e = ad_config_parse(text, len, set->file, &set->cfg, err, errlen);
	free(text);
	if (e)
		return e;
	e = ad_config_apply(&set->cfg, &set->opts, err, errlen);
	for (size_t i = 0; !e && i < set->cfg.ntargets; i++)
		e = expand(set, cli, set->cfg.targets[i]);
	if (e == -ENOMEM)
		return ad_fail(e, err, errlen, "out of memory");
	if (!e)
		sort_unique(set);
	return e;
}

void ad_settings_free(struct ad_settings *set)
{
	for (size_t i = 0; i < set->ntargets; i++)
		free(set->targets[i]);
	free(set->targets);
	ad_config_free(&set->cfg);
	memset(set, 0, sizeof(*set));
}
