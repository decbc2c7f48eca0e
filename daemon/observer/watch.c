// SPDX-License-Identifier: BSD-2-Clause
/*
 * watch.c - the objects attached for every process, watched for change:
 * fanotify on each attached inode (writes, and execs held until the
 * daemon has acted), inotify on each one's directory (a new file under
 * the same path), both behind one epoll descriptor (watch.h).
 */
#define _GNU_SOURCE
#include "observer/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errmsg.h"
#include "core/grow.h"
#include "observer/attach.h"
#include "observer/store.h"

/* What is asked of the kernel for each attached inode. */
#define FAN_EVENTS (FAN_MODIFY | FAN_CLOSE_WRITE | FAN_OPEN_EXEC_PERM)
/* And of each watched file's directory: a file renamed or written there
 * (the new file of `mv`, `install`, `gcc -o`, dpkg). */
#define DIR_EVENTS (IN_MOVED_TO | IN_CLOSE_WRITE)

/* A path attached for every process. */
struct watched {
	char *path;	  /* resolved when watched */
	const char *name; /* its last component, in path */
	int wd;		  /* inotify watch of its directory */
	dev_t dev;	  /* the inode the path named when last attached */
	ino_t ino;
	bool attached; /* false from a write until its contents are attached */
};

struct ad_watch {
	int fan, ino, ep;
	struct watched *w;
	size_t n, cap;
};

static void watch_free(struct ad_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->w[i].path);
	free(w->w);
	if (w->ep >= 0)
		close(w->ep);
	if (w->ino >= 0)
		close(w->ino);
	if (w->fan >= 0)
		close(w->fan);
	free(w);
}

void ad_obs_watch_close(struct ad_observer *obs)
{
	watch_free(obs->watch);
	obs->watch = NULL;
}

static int epoll_add(int ep, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int watch_open(struct ad_watch **out, char *err, size_t errlen)
{
	struct ad_watch *w = calloc(1, sizeof(*w));
	int e;

	if (!w) {
		ad_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->ino = w->ep = -1;
	w->fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
			       O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (w->fan < 0) {
		e = -errno;
		ad_set_err(err, errlen, "fanotify_init: %s", strerror(-e));
		goto fail;
	}
	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ino < 0 || w->ep < 0) {
		e = -errno;
		ad_set_err(err, errlen, "inotify or epoll: %s", strerror(-e));
		goto fail;
	}
	e = epoll_add(w->ep, w->fan);
	if (!e)
		e = epoll_add(w->ep, w->ino);
	if (e) {
		ad_set_err(err, errlen, "epoll_ctl: %s", strerror(-e));
		goto fail;
	}
	*out = w;
	return 0;
fail:
	watch_free(w);
	return e;
}

static int mark_inode(struct ad_watch *w, const char *path)
{
	if (fanotify_mark(w->fan, FAN_MARK_ADD, FAN_EVENTS, AT_FDCWD, path))
		return -errno;
	return 0;
}

int ad_observer_watch_inode(struct ad_observer *obs, const char *path,
			    char *err, size_t errlen)
{
	int e;

	if (!obs->watch) {
		e = watch_open(&obs->watch, err, errlen);
		if (e)
			return e;
	}
	e = mark_inode(obs->watch, path);
	if (e)
		ad_set_err(err, errlen, "fanotify_mark %s: %s", path,
			   strerror(-e));
	return e;
}

int ad_observer_watch_path(struct ad_observer *obs, const char *path, char *err,
			   size_t errlen)
{
	struct watched *grown, *x;
	char *real, *slash;
	struct stat st;
	int e;

	if (!obs->watch) {
		e = watch_open(&obs->watch, err, errlen);
		if (e)
			return e;
	}
	grown = ad_grow(obs->watch->w, &obs->watch->cap, obs->watch->n,
			sizeof(*grown), 4);
	if (!grown) {
		ad_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	obs->watch->w = grown;
	real = realpath(path, NULL);
	if (!real || stat(real, &st)) {
		e = -errno;
		ad_set_err(err, errlen, "%s: %s", path, strerror(-e));
		free(real);
		return e;
	}
	x = &grown[obs->watch->n];
	*x = (struct watched){.path = real,
			      .dev = st.st_dev,
			      .ino = st.st_ino,
			      .attached = true};
	e = mark_inode(obs->watch, real);
	if (e) {
		ad_set_err(err, errlen, "fanotify_mark %s: %s", real,
			   strerror(-e));
		free(real);
		return e;
	}
	slash = strrchr(real, '/');
	x->name = slash + 1;
	*slash = '\0';
	x->wd = inotify_add_watch(obs->watch->ino, slash == real ? "/" : real,
				  DIR_EVENTS);
	*slash = '/';
	if (x->wd < 0) {
		e = -errno;
		ad_set_err(err, errlen, "inotify_add_watch for %s: %s", real,
			   strerror(-e));
		free(real);
		return e;
	}
	obs->watch->n++;
	return 0;
}

/* Drops entry i: its directory's inotify watch if no other entry shares
 * it, and its inode's mark if the path still names that inode. */
static void unwatch(struct ad_watch *w, size_t i)
{
	struct watched *x = &w->w[i];
	bool shared = false;
	struct stat st;

	for (size_t j = 0; j < w->n; j++)
		if (j != i && w->w[j].wd == x->wd)
			shared = true;
	if (!shared)
		inotify_rm_watch(w->ino, x->wd);
	if (stat(x->path, &st) == 0 && st.st_dev == x->dev &&
	    st.st_ino == x->ino)
		fanotify_mark(w->fan, FAN_MARK_REMOVE, FAN_EVENTS, AT_FDCWD,
			      x->path);
	free(x->path);
	memmove(x, x + 1, (w->n - i - 1) * sizeof(*x));
	w->n--;
}

int ad_observer_forget_path(struct ad_observer *obs, const char *path)
{
	struct ad_watch *w = obs->watch;
	char *real = realpath(path, NULL);
	struct stat st;
	int sites = 0;

	for (size_t i = 0; w && i < w->n; i++) {
		if (strcmp(w->w[i].path, real ? real : path) != 0)
			continue;
		sites = ad_obs_detach_inode(obs, w->w[i].dev, w->w[i].ino);
		unwatch(w, i);
		free(real);
		return sites;
	}
	free(real);
	/* Not watched (watching failed): the file it names now. */
	if (stat(path, &st) == 0)
		sites = ad_obs_detach_inode(obs, st.st_dev, st.st_ino);
	return sites;
}

int ad_observer_watch_fd(const struct ad_observer *obs)
{
	return obs->watch ? obs->watch->ep : -1;
}

static void tell(ad_watch_fn fn, void *ctx, enum ad_watch_what what,
		 const char *path, int sites, const char *err)
{
	struct ad_watch_note n = {
		.what = what, .path = path, .sites = sites, .err = err};

	fn(ctx, &n);
}

static void tell_detached(ad_watch_fn fn, void *ctx, const char *path,
			  int sites, const struct stat *st)
{
	struct ad_watch_note n = {.what = AD_WATCH_DETACHED,
				  .path = path,
				  .sites = sites,
				  .dev = st->st_dev,
				  .ino = st->st_ino};

	fn(ctx, &n);
}

/* Attaches the file the watched path names now; `what` says why. */
static void attach_again(struct ad_observer *obs, struct watched *x,
			 enum ad_watch_what what, ad_watch_fn fn, void *ctx)
{
	char err[512];
	struct stat st;
	int n;

	if (stat(x->path, &st)) {
		x->attached = false;
		tell(fn, ctx, AD_WATCH_FAILED, x->path, 0, strerror(errno));
		return;
	}
	/* A new inode: marked before attaching, so a write to it from
	 * now on is seen. */
	if ((st.st_dev != x->dev || st.st_ino != x->ino) &&
	    mark_inode(obs->watch, x->path))
		snprintf(err, sizeof(err), "fanotify_mark: %s",
			 strerror(errno));
	else
		err[0] = '\0';
	x->dev = st.st_dev;
	x->ino = st.st_ino;
	x->attached = false;
	if (err[0]) {
		tell(fn, ctx, AD_WATCH_FAILED, x->path, 0, err);
		return;
	}
	n = ad_observer_attach_path(obs, x->path, -1, err, sizeof(err));
	if (n < 0) {
		tell(fn, ctx, AD_WATCH_FAILED, x->path, 0, err);
		return;
	}
	x->attached = true;
	if (n > 0)
		tell(fn, ctx, what, x->path, n, NULL);
}

static struct watched *find_inode(struct ad_watch *w, const struct stat *st)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->w[i].dev == st->st_dev && w->w[i].ino == st->st_ino)
			return &w->w[i];
	return NULL;
}

/* One fanotify event on an attached inode (or one attached once). */
static void file_event(struct ad_observer *obs, const struct stat *st,
		       uint64_t mask, int fd, ad_watch_fn fn, void *ctx)
{
	struct watched *x = find_inode(obs->watch, st);
	int sites = ad_obs_detach_changed(obs, st, mask & FAN_MODIFY);

	if (sites) {
		char link[64], path[PATH_MAX];
		ssize_t len;

		if (x) {
			x->attached = false;
			snprintf(path, sizeof(path), "%s", x->path);
		} else {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			len = readlink(link, path, sizeof(path) - 1);
			path[len < 0 ? 0 : len] = '\0';
		}
		tell_detached(fn, ctx, path, sites, st);
	}
	/* Written and closed, or about to run: its probes as they are now
	 * (an exec while a writer still has it open fails anyway). */
	if (x && !x->attached &&
	    (mask & (FAN_CLOSE_WRITE | FAN_OPEN_EXEC_PERM)))
		attach_again(obs, x, AD_WATCH_REATTACHED, fn, ctx);
}

/* After lost events: every watched path checked as if written. */
static void check_all(struct ad_observer *obs, ad_watch_fn fn, void *ctx)
{
	tell(fn, ctx, AD_WATCH_OVERFLOW, "", 0, NULL);
	for (size_t i = 0; i < obs->watch->n; i++) {
		struct watched *x = &obs->watch->w[i];
		struct stat st;

		if (stat(x->path, &st))
			continue;
		if (st.st_dev != x->dev || st.st_ino != x->ino) {
			attach_again(obs, x, AD_WATCH_REPLACED, fn, ctx);
			continue;
		}
		if (ad_obs_detach_changed(obs, &st, false))
			x->attached = false;
		if (!x->attached)
			attach_again(obs, x, AD_WATCH_REATTACHED, fn, ctx);
	}
}

/* Lets a held exec run. The write fails only for an event the kernel
 * no longer holds; any still held when the daemon stops run then (the
 * kernel lets them through when the fanotify descriptor closes). */
static void allow(int fan, int fd)
{
	struct fanotify_response r = {.fd = fd, .response = FAN_ALLOW};
	ssize_t n = write(fan, &r, sizeof(r));

	(void)n;
}

static int read_fanotify(struct ad_observer *obs, ad_watch_fn fn, void *ctx)
{
	char buf[4096] __attribute__((
		aligned(__alignof__(struct fanotify_event_metadata))));
	ssize_t len;

	while ((len = read(obs->watch->fan, buf, sizeof(buf))) > 0) {
		struct fanotify_event_metadata *m = (void *)buf;

		for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			struct stat st;

			if (m->mask & FAN_Q_OVERFLOW)
				check_all(obs, fn, ctx);
			if (m->fd < 0)
				continue;
			if (fstat(m->fd, &st) == 0)
				file_event(obs, &st, m->mask, m->fd, fn, ctx);
			if (m->mask & FAN_OPEN_EXEC_PERM)
				allow(obs->watch->fan, m->fd);
			close(m->fd);
		}
	}
	return len < 0 && errno != EAGAIN ? -errno : 0;
}

static int read_inotify(struct ad_observer *obs, ad_watch_fn fn, void *ctx)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	while ((len = read(obs->watch->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const void *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				check_all(obs, fn, ctx);
				continue;
			}
			for (size_t i = 0; ev->len && i < obs->watch->n; i++) {
				struct watched *x = &obs->watch->w[i];
				struct stat st;

				if (x->wd != ev->wd ||
				    strcmp(x->name, ev->name) != 0 ||
				    stat(x->path, &st) ||
				    (st.st_dev == x->dev &&
				     st.st_ino == x->ino))
					continue;
				attach_again(obs, x, AD_WATCH_REPLACED, fn,
					     ctx);
			}
		}
	}
	return len < 0 && errno != EAGAIN ? -errno : 0;
}

int ad_observer_watch_handle(struct ad_observer *obs, ad_watch_fn fn, void *ctx)
{
	int e;

	if (!obs->watch)
		return 0;
	/* Writes and held execs first: a new file under a watched path
	 * is attached after. */
	e = read_fanotify(obs, fn, ctx);
	if (!e)
		e = read_inotify(obs, fn, ctx);
	return e;
}
