// SPDX-License-Identifier: BSD-2-Clause
/*
 * pins.c - the store pinned in the BPF filesystem (pins.h).
 */
#define _GNU_SOURCE
#include "observer/pins.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "core/errmsg.h"
#include "observer/store.h"

#define LAYOUT_PIN "layout"

void ad_pins_layout(const struct ad_observer *obs, struct ad_layout *out)
{
	memset(out, 0, sizeof(*out));
	out->version = AD_LAYOUT_VERSION;
	out->records = sizeof(struct ad_frame) + sizeof(struct ad_task) +
		       sizeof(struct ad_key) + sizeof(struct ad_shared_key) +
		       sizeof(struct ad_proc) + sizeof(struct ad_thread) +
		       sizeof(struct ad_ready) + sizeof(struct ad_slot_owner) +
		       sizeof(struct ad_slot_maps) + sizeof(struct ad_refused) +
		       sizeof(struct ad_event);
	out->label_max = obs->label_max;
	out->max_procs = bpf_map__max_entries(obs->skel->maps.procs);
	out->nslots = obs->nslots;
	out->nbig = obs->nbig;
	out->small_frames = obs->small.frames;
	out->small_tasks = obs->small.tasks;
	out->small_strings = obs->small.strings;
	out->big_frames = obs->big.frames;
	out->big_tasks = obs->big.tasks;
	out->big_strings = obs->big.strings;
	out->shared_frames = obs->shared.frames;
	out->shared_tasks = obs->shared.tasks;
	out->shared_strings = obs->shared.strings;
	out->share_frames = obs->share.frames;
	out->share_tasks = obs->share.tasks;
	out->pool_frames = obs->pool.frames;
	out->pool_tasks = obs->pool.tasks;
	out->sleepable = obs->features.sleepable;
}

/* Removes path and, if a directory, everything under it; counts the
 * pins (files) removed into *n. */
static int remove_tree(const char *path, int *n)
{
	struct dirent *de;
	struct stat st;
	int e = 0;
	DIR *d;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path))
			return -errno;
		(*n)++;
		return 0;
	}
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char sub[4096];
		int r;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub))
			r = -ENAMETOOLONG;
		else
			r = remove_tree(sub, n);
		if (r && !e)
			e = r;
	}
	closedir(d);
	if (rmdir(path) && !e)
		e = -errno;
	return e;
}

int ad_pins_remove(const char *path)
{
	int n = 0, e = remove_tree(path, &n);

	return e ? e : n;
}

/* The layout pinned at dir/layout: 0, -ENOENT if none, or -errno. */
static int read_layout(const char *dir, struct ad_layout *out)
{
	char path[4096];
	uint32_t key = 0;
	int fd, e = 0;

	snprintf(path, sizeof(path), "%s/" LAYOUT_PIN, dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, &key, out))
		e = -errno;
	close(fd);
	return e;
}

/* Appends to note that the store at path was dropped, and why: n pins
 * removed, or -errno if not all were. */
static void note_dropped(char *note, size_t notelen, const char *path,
			 const char *why, int n)
{
	size_t used = strlen(note);

	snprintf(note + used, notelen - used,
		 "%sthe store pinned at %s%s (%d pins%s)", used ? "; " : "",
		 path, why, n < 0 ? 0 : n, n < 0 ? ", not all removed" : "");
}

/* Is name a store's directory, "v" and a version number? */
static bool is_version(const char *name)
{
	if (name[0] != 'v' || !name[1])
		return false;
	for (name++; *name; name++)
		if (*name < '0' || *name > '9')
			return false;
	return true;
}

/* Drops the other versions' stores dir holds (directories "vN"), noting
 * it; anything else there is left alone. */
static int drop_other_versions(const char *dir, const char *mine, char *note,
			       size_t notelen)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char path[4096];

		if (!is_version(de->d_name) || strcmp(de->d_name, mine) == 0)
			continue; /* not a store's: never ours to remove */
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		note_dropped(note, notelen, path,
			     ", of another version, was dropped",
			     ad_pins_remove(path));
	}
	closedir(d);
	return 0;
}

static bool same_layout(const struct ad_layout *a, const struct ad_layout *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int ad_pins_prepare(struct ad_observer *obs, const char *dir, char *note,
		    size_t notelen, char *err, size_t errlen)
{
	struct ad_layout want, have;
	struct bpf_map *map;
	struct statfs fs;
	char mine[16];
	bool made;
	int e;

	note[0] = '\0';
	snprintf(mine, sizeof(mine), "v%u", AD_LAYOUT_VERSION);
	if (snprintf(obs->pin_dir, sizeof(obs->pin_dir), "%s/%s", dir, mine) >=
	    (int)sizeof(obs->pin_dir))
		return ad_fail(-ENAMETOOLONG, err, errlen,
			       "state directory %s: name too long", dir);
	made = mkdir(dir, 0700) == 0;
	if (!made && errno != EEXIST)
		return ad_fail(-errno, err, errlen,
			       "cannot make the state directory %s: %s%s", dir,
			       strerror(errno),
			       errno == ENOENT ? " (is the BPF filesystem "
						 "mounted at /sys/fs/bpf?)"
					       : "");
	/* Nothing outside a BPF filesystem is ever removed or pinned. */
	e = statfs(dir, &fs) ? errno : 0;
	if (e || fs.f_type != BPF_FS_MAGIC) {
		if (made)
			rmdir(dir);
		return ad_fail(-ENOTSUP, err, errlen,
			       "the state directory %s is not in a BPF "
			       "filesystem%s%s (pins live in one: mount -t bpf "
			       "bpf /sys/fs/bpf)",
			       dir, e ? ": " : "", e ? strerror(e) : "");
	}
	/* One daemon a store: a second would hand out its slots again and
	 * drop the first's probes as unclaimed. The kernel lets go of the
	 * lock with the daemon, however it ends. */
	obs->pin_lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (obs->pin_lock < 0)
		return ad_fail(-errno, err, errlen,
			       "cannot open the state directory %s: %s", dir,
			       strerror(errno));
	if (flock(obs->pin_lock, LOCK_EX | LOCK_NB))
		return ad_fail(-errno, err, errlen,
			       "the state directory %s is in use by another "
			       "asyncdumpd (%s): give each daemon its own",
			       dir, strerror(errno));
	e = drop_other_versions(dir, mine, note, notelen);
	if (e)
		return ad_fail(e, err, errlen,
			       "cannot read the state directory %s: %s", dir,
			       strerror(-e));
	ad_pins_layout(obs, &want);
	e = read_layout(obs->pin_dir, &have);
	if (!e && same_layout(&want, &have)) {
		obs->adopt = true;
	} else if (e != -ENOENT || access(obs->pin_dir, F_OK) == 0) {
		/* Another layout, or a store cut short before its layout
		 * was pinned: never read. */
		note_dropped(
			note, notelen, obs->pin_dir,
			e ? " has no layout: dropped, with every frame and "
			    "task it held"
			  : " was made with other settings or another "
			    "version: dropped, with every frame and task "
			    "it held",
			ad_pins_remove(obs->pin_dir));
	}
	if (mkdir(obs->pin_dir, 0700) && errno != EEXIST)
		return ad_fail(-errno, err, errlen, "cannot make %s: %s",
			       obs->pin_dir, strerror(errno));
	bpf_object__for_each_map(map, obs->skel->obj)
	{
		char path[sizeof(obs->pin_dir) + 64];

		if (bpf_map__is_internal(map))
			continue; /* .rodata and .bss: each load its own */
		snprintf(path, sizeof(path), "%s/%s", obs->pin_dir,
			 bpf_map__name(map));
		e = bpf_map__set_pin_path(map, path);
		if (e)
			return ad_fail(e, err, errlen,
				       "naming the pin of map %s failed: %s",
				       bpf_map__name(map), strerror(-e));
	}
	return 0;
}

int ad_pins_commit(struct ad_observer *obs, char *err, size_t errlen)
{
	struct ad_layout l;
	char path[sizeof(obs->pin_dir) + 16];
	uint32_t key = 0;
	int fd, e = 0;

	if (obs->adopt)
		return 0;
	ad_pins_layout(obs, &l);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ad_layout", sizeof(key),
			    sizeof(l), 1, NULL);
	if (fd < 0)
		return ad_fail(-errno, err, errlen,
			       "creating the layout map failed: %s",
			       strerror(errno));
	snprintf(path, sizeof(path), "%s/" LAYOUT_PIN, obs->pin_dir);
	/* Pinned last: a store without it is one cut short (dropped). */
	if (bpf_map_update_elem(fd, &key, &l, BPF_ANY) || bpf_obj_pin(fd, path))
		e = ad_fail(-errno, err, errlen, "pinning %s failed: %s", path,
			    strerror(errno));
	close(fd);
	return e;
}

int ad_pins_link(const struct ad_observer *obs, struct bpf_link *l,
		 const char *name)
{
	char path[sizeof(obs->pin_dir) + 256];
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", obs->pin_dir, name);
	/* its directories, made as needed */
	for (slash = strchr(path + strlen(obs->pin_dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	return bpf_link__pin(l, path);
}

int ad_pins_map(const struct ad_observer *obs, const char *name,
		uint32_t key_size, uint32_t value_size, uint32_t max_entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	char path[sizeof(obs->pin_dir) + 64];
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", obs->pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		struct bpf_map_info info = {0};
		uint32_t len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.key_size == key_size &&
		    info.value_size == value_size &&
		    info.max_entries == max_entries)
			return fd;
		close(fd);
		return -EINVAL; /* never misread */
	}
	if (errno != ENOENT)
		return -errno;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, key_size, value_size,
			    max_entries, &o);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int ad_pins_unlink(const struct ad_observer *obs, const char *name)
{
	char path[sizeof(obs->pin_dir) + 256];

	snprintf(path, sizeof(path), "%s/%s", obs->pin_dir, name);
	return ad_pins_remove(path);
}
