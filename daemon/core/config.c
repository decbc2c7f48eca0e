// SPDX-License-Identifier: BSD-2-Clause
/*
 * config.c - parse asyncdumpd.conf with libinih and apply it (config.h).
 *
 * libinih reports the line of the first error only (its handler is not
 * told line numbers), so the handler keeps the first error's reason and
 * the parse's return value gives its line. Lines longer than libinih's
 * buffer would be split silently; they, NUL bytes and oversized files are
 * refused here before libinih sees the text.
 */
#include "core/config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errmsg.h"
#include "core/grow.h"

static const struct {
	const char *section, *key, *option;
} keys[AD_CFG_KEY_COUNT] = {
	[AD_CFG_MAX_FRAMES] = {"limits", "max_frames", "max-frames"},
	[AD_CFG_MAX_TASKS] = {"limits", "max_tasks", "max-tasks"},
	[AD_CFG_MAX_PROCS] = {"limits", "max_procs", "max-procs"},
	[AD_CFG_MAX_SLOTS] = {"limits", "max_slots", "max-slots"},
	[AD_CFG_MAX_BIG] = {"limits", "max_big", "max-big"},
	[AD_CFG_LABEL_MAX] = {"limits", "label_max", "label-max"},
	[AD_CFG_SOCKET] = {"daemon", "socket", "socket"},
	[AD_CFG_DUMP_GROUP] = {"daemon", "dump_group", "dump-group"},
	[AD_CFG_LOG_LEVEL] = {"daemon", "log_level", NULL},
	[AD_CFG_DISCOVERY] = {"daemon", "discovery", "discovery"},
	[AD_CFG_STUCK_AFTER] = {"daemon", "stuck_after", NULL},
	[AD_CFG_STATE_DIR] = {"daemon", "state_dir", "state-dir"},
};

/* The command-line bit each setting is overridden by. */
static const unsigned given_by[AD_CFG_KEY_COUNT] = {
	[AD_CFG_MAX_FRAMES] = AD_GIVEN_MAX_FRAMES,
	[AD_CFG_MAX_TASKS] = AD_GIVEN_MAX_TASKS,
	[AD_CFG_MAX_PROCS] = AD_GIVEN_MAX_PROCS,
	[AD_CFG_MAX_SLOTS] = AD_GIVEN_MAX_SLOTS,
	[AD_CFG_MAX_BIG] = AD_GIVEN_MAX_BIG,
	[AD_CFG_LABEL_MAX] = AD_GIVEN_LABEL_MAX,
	[AD_CFG_SOCKET] = AD_GIVEN_SOCKET,
	[AD_CFG_DUMP_GROUP] = AD_GIVEN_DUMP_GROUP,
	[AD_CFG_DISCOVERY] = AD_GIVEN_DISCOVERY,
	[AD_CFG_STATE_DIR] = AD_GIVEN_STATE_DIR,
};

static const struct {
	const char *name;
	int prio;
} levels[] = {{"err", 3}, {"warning", 4}, {"info", 6}};

const char *ad_config_key_name(enum ad_config_key key)
{
	return key < AD_CFG_KEY_COUNT ? keys[key].key : "?";
}

struct parse {
	struct ad_config *cfg;
	char why[256]; /* the first error's reason, "" if none */
	int e;	       /* its -errno */
};

static int fail(struct parse *p, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse *p, int e, const char *fmt, ...)
{
	va_list ap;

	if (!p->why[0]) {
		va_start(ap, fmt);
		vsnprintf(p->why, sizeof(p->why), fmt, ap);
		va_end(ap);
		p->e = e;
	}
	return 0; /* libinih: an error on this line */
}

static int add_target(struct parse *p, const char *value)
{
	struct ad_config *cfg = p->cfg;
	char **grown, *copy;

	if (value[0] != '/')
		return fail(p, -EINVAL,
			    "attach = %s: not an absolute path (or glob)",
			    value);
	grown = ad_grow(cfg->targets, &cfg->ctargets, cfg->ntargets,
			sizeof(*grown), 4);
	copy = strdup(value);
	if (!grown || !copy) {
		free(copy);
		return fail(p, -ENOMEM, "out of memory");
	}
	cfg->targets = grown;
	cfg->targets[cfg->ntargets++] = copy;
	return 1;
}

/* Checks a setting's value as the command line would, on a scratch set
 * of options; the log level against its names. */
static int check_value(struct parse *p, enum ad_config_key k, const char *value)
{
	struct ad_options scratch;
	char why[256];

	if (k == AD_CFG_LOG_LEVEL) {
		for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (strcmp(value, levels[i].name) == 0) {
				p->cfg->log_level = levels[i].prio;
				return 1;
			}
		return fail(p, -EINVAL,
			    "log_level = %s: not err, warning or info", value);
	}
	if (k == AD_CFG_STUCK_AFTER) {
		if (ad_parse_duration(value, &p->cfg->stuck_after_ns))
			return fail(p, -EINVAL,
				    "stuck_after = %s: not a duration (e.g. "
				    "10s, 500ms, 1.5s, 2m, 0)",
				    value);
		return 1;
	}
	memset(&scratch, 0, sizeof(scratch));
	if (ad_options_set(&scratch, keys[k].option, value, why, sizeof(why)))
		return fail(p, -EINVAL, "%s: %s", keys[k].key, why);
	return 1;
}

static int on_pair(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;
	struct ad_config *cfg = p->cfg;

	if (p->why[0])
		return 0; /* only the first error counts */
	if (strcmp(section, "targets") == 0 && strcmp(name, "attach") == 0)
		return add_target(p, value);
	for (int k = 0; k < AD_CFG_KEY_COUNT; k++) {
		if (strcmp(section, keys[k].section) != 0 ||
		    strcmp(name, keys[k].key) != 0)
			continue;
		if (cfg->value[k])
			return fail(p, -EINVAL,
				    "%s given twice in [%s]: give it once",
				    name, section);
		if (!check_value(p, (enum ad_config_key)k, value))
			return 0;
		cfg->value[k] = strdup(value);
		if (!cfg->value[k])
			return fail(p, -ENOMEM, "out of memory");
		return 1;
	}
	if (!section[0])
		return fail(p, -EINVAL,
			    "%s outside a section: put it under [targets], "
			    "[limits] or [daemon]",
			    name);
	if (strcmp(section, "targets") && strcmp(section, "limits") &&
	    strcmp(section, "daemon"))
		return fail(p, -EINVAL,
			    "unknown section [%s]: the sections are "
			    "[targets], [limits] and [daemon]",
			    section);
	return fail(p, -EINVAL, "unknown key %s in [%s]", name, section);
}

/* NUL bytes and lines libinih would split, by line number (1-based);
 * 0 if none. */
static unsigned bad_line(const char *text, size_t len, const char **why)
{
	unsigned line = 1;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] == '\0') {
			*why = "a NUL byte";
			return line;
		}
		if (i < len && text[i] != '\n')
			continue;
		if (i - start > AD_CONFIG_MAX_LINE) {
			*why = "longer than 190 bytes";
			return line;
		}
		start = i + 1;
		line++;
	}
	return 0;
}

int ad_config_parse(const char *text, size_t len, const char *name,
		    struct ad_config *cfg, char *err, size_t errlen)
{
	struct parse p = {.cfg = cfg};
	const char *why = NULL;
	unsigned line;
	char *copy;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->name = name;
	cfg->log_level = 6;
	cfg->stuck_after_ns = AD_DEFAULT_STUCK_AFTER_NS;
	if (len > AD_CONFIG_MAX_BYTES)
		return ad_fail(-EINVAL, err, errlen,
			       "%s: larger than %u bytes: not a config file",
			       name, AD_CONFIG_MAX_BYTES);
	line = bad_line(text, len, &why);
	if (line)
		return ad_fail(-EINVAL, err, errlen, "%s:%u: %s", name, line,
			       why);
	copy = malloc(len + 1);
	if (!copy)
		return ad_fail(-ENOMEM, err, errlen, "out of memory");
	memcpy(copy, text, len);
	copy[len] = '\0';
	rc = ini_parse_string(copy, on_pair, &p);
	free(copy);
	if (rc == 0 && !p.why[0])
		return 0;
	if (rc < 0 || p.e == -ENOMEM)
		return ad_fail(-ENOMEM, err, errlen, "%s: out of memory", name);
	if (!p.why[0])
		return ad_fail(-EINVAL, err, errlen,
			       "%s:%d: not a [section], key = value or "
			       "comment",
			       name, rc);
	return ad_fail(p.e, err, errlen, "%s:%d: %s", name, rc, p.why);
}

void ad_config_free(struct ad_config *cfg)
{
	for (size_t i = 0; i < cfg->ntargets; i++)
		free(cfg->targets[i]);
	free(cfg->targets);
	for (int k = 0; k < AD_CFG_KEY_COUNT; k++)
		free(cfg->value[k]);
	memset(cfg, 0, sizeof(*cfg));
}

int ad_config_apply(const struct ad_config *cfg, struct ad_options *opts,
		    char *err, size_t errlen)
{
	char why[256];
	int e;

	for (int k = 0; k < AD_CFG_KEY_COUNT; k++) {
		if (!cfg->value[k] || !keys[k].option ||
		    (opts->given & given_by[k]))
			continue;
		e = ad_options_set(opts, keys[k].option, cfg->value[k], why,
				   sizeof(why));
		if (e)
			return ad_fail(e, err, errlen, "%s: %s: %s", cfg->name,
				       keys[k].key, why);
	}
	e = ad_options_settle(opts,
			      (opts->given & AD_GIVEN_MAX_SLOTS) ||
				      cfg->value[AD_CFG_MAX_SLOTS],
			      why, sizeof(why));
	if (e)
		return ad_fail(e, err, errlen, "%s: %s", cfg->name, why);
	return 0;
}
