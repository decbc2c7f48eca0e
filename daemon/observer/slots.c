// SPDX-License-Identifier: BSD-2-Clause
/*
 * slots.c - each process's own record maps (slots.h, asyncdump_abi.h
 * "Where records live"): made ahead of time, put in the ready-slot table
 * for the BPF side to take, and dropped whole when their process has
 * gone.
 */
#include "observer/slots.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "core/clock.h"
#include "core/errmsg.h"
#include "observer/procfs.h"

/* A slot's owner is judged gone (its process record missing or newer)
 * only this long after it took the slot: BPF writes slot_owner just
 * before the process record. */
#define AD_SLOT_SETTLE_NS (1000ull * 1000000ull)

static void close_maps(struct ad_mapset *m)
{
	if (m->frames >= 0)
		close(m->frames);
	if (m->tasks >= 0)
		close(m->tasks);
	if (m->strings >= 0)
		close(m->strings);
	m->frames = m->tasks = m->strings = -1;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t cap_mul(uint32_t a, uint32_t b)
{
	uint64_t n = (uint64_t)a * b;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

void ad_obs_caps_set(struct ad_observer *obs, uint32_t max_procs,
		     uint32_t max_slots, uint32_t max_big)
{
	struct ad_caps *sm = &obs->small, *bg = &obs->big;

	sm->frames = min_u32(AD_SMALL_FRAMES, obs->max_frames);
	sm->tasks = min_u32(AD_SMALL_TASKS, obs->max_tasks);
	/* What is left of a process's capacity; a map holds at least one
	 * record. A big strings map holds one string per frame: a string
	 * per task too would double its buckets, which a ready big slot
	 * pays for nothing (names beyond it are counted strings_full); the
	 * more of the two where one kind does not grow. */
	bg->frames = obs->max_frames - sm->frames;
	bg->tasks = obs->max_tasks - sm->tasks;
	obs->nbig = (bg->frames || bg->tasks) && max_slots ? max_big : 0;
	/* A map holds at least one record: where nothing is left for the
	 * big maps of one kind (the other grows), the small map gives one up,
	 * so a process still holds exactly max_frames and max_tasks (or one
	 * more of a kind whose capacity is 1). */
	if (obs->nbig && !bg->frames) {
		bg->frames = 1;
		sm->frames -= sm->frames > 1;
	}
	if (obs->nbig && !bg->tasks) {
		bg->tasks = 1;
		sm->tasks -= sm->tasks > 1;
	}
	sm->strings = sm->frames + sm->tasks;
	bg->strings = bg->frames > bg->tasks ? bg->frames : bg->tasks;
	obs->nslots = max_slots;
	if (max_slots) {
		obs->share.frames = min_u32(AD_SHARED_FRAMES_SHARE, sm->frames);
		obs->share.tasks = min_u32(AD_SHARED_TASKS_SHARE, sm->tasks);
		/* The pool: as large as all the shares. */
		obs->pool.frames = cap_mul(obs->share.frames, max_procs);
		obs->pool.tasks = cap_mul(obs->share.tasks, max_procs);
		obs->shared.frames = cap_mul(obs->pool.frames, 2);
		obs->shared.tasks = cap_mul(obs->pool.tasks, 2);
	} else {
		obs->share.frames = obs->shared.frames = obs->max_frames;
		obs->share.tasks = obs->shared.tasks = obs->max_tasks;
		obs->pool.frames = obs->pool.tasks = 0;
	}
	/* A string per frame, as in a big slot; where every process keeps
	 * its records there, a string per frame and task, as in a small one. */
	if (max_slots)
		obs->shared.strings = obs->shared.frames > obs->shared.tasks
					      ? obs->shared.frames
					      : obs->shared.tasks;
	else
		obs->shared.strings = obs->shared.frames + obs->shared.tasks;
}

bool ad_obs_slot_is_big(const struct ad_observer *obs, uint32_t slot)
{
	return slot > obs->nslots && slot <= obs->nslots + obs->nbig;
}

int ad_obs_slots_init(struct ad_observer *obs)
{
	uint32_t n = obs->nslots + obs->nbig;

	obs->slots = calloc((size_t)n + 1, sizeof(*obs->slots));
	if (!obs->slots)
		return -ENOMEM;
	obs->nready = obs->nready_big = 0;
	for (uint32_t i = 0; i <= n; i++) {
		obs->slots[i].state = AD_SLOT_EMPTY;
		obs->slots[i].maps = (struct ad_mapset){-1, -1, -1, false};
	}
	return 0;
}

void ad_obs_slots_fini(struct ad_observer *obs)
{
	if (!obs->slots)
		return;
	for (uint32_t i = 0; i <= obs->nslots + obs->nbig; i++)
		close_maps(&obs->slots[i].maps);
	free(obs->slots);
	obs->slots = NULL;
	obs->nslots = obs->nbig = obs->nready = obs->nready_big = 0;
}

struct ad_mapset ad_obs_shared_maps(const struct ad_observer *obs)
{
	return obs->slots[AD_SLOT_SHARED].maps;
}

int ad_obs_create_map(const struct ad_observer *obs, enum ad_map_kind which,
		      uint32_t slot)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	static const char *const names[] = {
		[AD_MAP_FRAMES] = "frames",
		[AD_MAP_TASKS] = "tasks",
		[AD_MAP_STRINGS] = "strings",
	};
	const struct ad_caps *caps = slot == AD_SLOT_SHARED ? &obs->shared
				     : ad_obs_slot_is_big(obs, slot)
					     ? &obs->big
					     : &obs->small;
	uint32_t ksz = sizeof(struct ad_key), vsz, max;
	char name[16];

	switch (which) {
	case AD_MAP_FRAMES:
		ksz = slot == AD_SLOT_SHARED ? sizeof(struct ad_shared_key)
					     : sizeof(uint64_t);
		vsz = sizeof(struct ad_frame);
		max = caps->frames;
		break;
	case AD_MAP_TASKS:
		vsz = sizeof(struct ad_task);
		max = caps->tasks;
		break;
	default:
		vsz = obs->label_max;
		max = caps->strings;
		break;
	}
	/* Names show in bpftool and the benchmark: ad_<what><slot>. */
	if (slot == AD_SLOT_TEMPLATE)
		snprintf(name, sizeof(name), "ad_%s_tmpl", names[which]);
	else
		snprintf(name, sizeof(name), "ad_%s%u", names[which], slot);
	return bpf_map_create(BPF_MAP_TYPE_HASH, name, ksz, vsz, max, &o);
}

/* The kernel's id of map fd, or 0. */
static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* Records in slot_maps which maps slot's outer entries hold (m NULL:
 * none). Before an install, after an uninstall: see struct ad_slot_maps. */
static int note_maps(struct ad_observer *obs, uint32_t slot,
		     const struct ad_mapset *m)
{
	struct ad_slot_maps ids = {0};

	if (m) {
		ids.frames = map_id(m->frames);
		ids.tasks = map_id(m->tasks);
		ids.strings = map_id(m->strings);
		if (!ids.frames || !ids.tasks || !ids.strings)
			return -EIO;
	}
	return bpf_map_update_elem(bpf_map__fd(obs->skel->maps.slot_maps),
				   &slot, &ids, BPF_ANY)
		       ? -errno
		       : 0;
}

static int install(struct bpf_map *outer, uint32_t slot, int fd)
{
	return bpf_map_update_elem(bpf_map__fd(outer), &slot, &fd, BPF_ANY)
		       ? -errno
		       : 0;
}

static void uninstall(struct ad_observer *obs, uint32_t slot)
{
	struct asyncdump *s = obs->skel;

	/* The kernel frees each map, and every record in it, once no BPF
	 * program can still be using it. */
	bpf_map_delete_elem(bpf_map__fd(s->maps.frames_of), &slot);
	bpf_map_delete_elem(bpf_map__fd(s->maps.tasks_of), &slot);
	bpf_map_delete_elem(bpf_map__fd(s->maps.strings_of), &slot);
	note_maps(obs, slot, NULL);
}

int ad_obs_shared_create(struct ad_observer *obs)
{
	struct ad_mapset *m = &obs->slots[AD_SLOT_SHARED].maps;
	int e;

	m->shared = true;
	m->frames = ad_obs_create_map(obs, AD_MAP_FRAMES, AD_SLOT_SHARED);
	m->tasks = ad_obs_create_map(obs, AD_MAP_TASKS, AD_SLOT_SHARED);
	m->strings = ad_obs_create_map(obs, AD_MAP_STRINGS, AD_SLOT_SHARED);
	if (m->frames >= 0 && m->tasks >= 0 && m->strings >= 0)
		return 0;
	e = m->frames < 0 ? m->frames : m->tasks < 0 ? m->tasks : m->strings;
	close_maps(m);
	return e;
}

int ad_obs_shared_install(struct ad_observer *obs)
{
	struct asyncdump *s = obs->skel;
	const struct ad_mapset *m = &obs->slots[AD_SLOT_SHARED].maps;
	int e;

	if ((e = note_maps(obs, AD_SLOT_SHARED, m)) ||
	    (e = install(s->maps.frames_shared_of, 0, m->frames)) ||
	    (e = install(s->maps.tasks_of, AD_SLOT_SHARED, m->tasks)) ||
	    (e = install(s->maps.strings_of, AD_SLOT_SHARED, m->strings)))
		return e;
	obs->slots[AD_SLOT_SHARED].state = AD_SLOT_OWNED; /* by everyone */
	return 0;
}

int ad_obs_ready_map(struct ad_observer *obs)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)(page > 0 ? page : 4096),
		       PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(obs->skel->maps.ready_slots), 0);

	if (p == MAP_FAILED)
		return -errno;
	obs->ready = p;
	return 0;
}

void ad_obs_ready_unmap(struct ad_observer *obs)
{
	long page = sysconf(_SC_PAGESIZE);

	if (obs->ready)
		munmap(obs->ready, (size_t)(page > 0 ? page : 4096));
	obs->ready = NULL;
}

/* Puts a READY slot at the tail of its ring (asyncdump_abi.h, struct
 * ad_ready): the daemon is the only one to fill it. -ENOSPC if the ring
 * is full (never expected: the daemon keeps at most half of it
 * filled). */
static int ready_put(struct ad_observer *obs, uint32_t slot)
{
	struct ad_ready *r = obs->ready;
	bool big = ad_obs_slot_is_big(obs, slot);
	uint32_t *ring = big ? r->big : r->slot;
	uint32_t size = big ? AD_READY_BIG_RING : AD_READY_RING;
	uint32_t *head = big ? &r->big_head : &r->head;
	uint32_t *tail = big ? &r->big_tail : &r->tail;
	uint32_t t = __atomic_load_n(tail, __ATOMIC_RELAXED);

	if (t - __atomic_load_n(head, __ATOMIC_ACQUIRE) >= size)
		return -ENOSPC;
	__atomic_store_n(&ring[t & (size - 1)], slot, __ATOMIC_RELAXED);
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Makes EMPTY slot `slot` READY: its maps created and installed, its
 * owner cleared, the slot put in the ready table. */
static int make_ready(struct ad_observer *obs, uint32_t slot)
{
	struct asyncdump *s = obs->skel;
	struct ad_slot *sl = &obs->slots[slot];
	struct ad_slot_owner none = {0};
	struct ad_mapset m = {-1, -1, -1, false};
	int e;

	m.frames = ad_obs_create_map(obs, AD_MAP_FRAMES, slot);
	m.tasks = ad_obs_create_map(obs, AD_MAP_TASKS, slot);
	m.strings = ad_obs_create_map(obs, AD_MAP_STRINGS, slot);
	if (m.frames < 0 || m.tasks < 0 || m.strings < 0) {
		e = m.frames < 0 ? m.frames : m.tasks < 0 ? m.tasks : m.strings;
		close_maps(&m);
		return e;
	}
	if ((e = note_maps(obs, slot, &m)) ||
	    (e = install(s->maps.frames_of, slot, m.frames)) ||
	    (e = install(s->maps.tasks_of, slot, m.tasks)) ||
	    (e = install(s->maps.strings_of, slot, m.strings)))
		goto fail;
	if (bpf_map_update_elem(bpf_map__fd(s->maps.slot_owner), &slot, &none,
				BPF_ANY)) {
		e = -errno;
		goto fail;
	}
	e = ready_put(obs, slot);
	if (e)
		goto fail;
	sl->maps = m;
	sl->state = AD_SLOT_READY;
	if (ad_obs_slot_is_big(obs, slot))
		obs->nready_big++;
	else
		obs->nready++;
	return 0;
fail:
	uninstall(obs, slot);
	close_maps(&m);
	return e;
}

/* -EMFILE if a slot's three maps would leave fewer than fd_reserve
 * descriptors below the limit on open files. Descriptors are handed out
 * lowest first, so the lowest free one tells, and the maps never take the
 * top fd_reserve: the daemon's clients and dumps need those more than one
 * more process needs maps of its own (it keeps its records in the shared
 * maps instead). */
static int fds_left(const struct ad_observer *obs)
{
	struct rlimit rl;
	int fd;

	if (!obs->fd_reserve || getrlimit(RLIMIT_NOFILE, &rl) ||
	    rl.rlim_cur == RLIM_INFINITY)
		return 0;
	fd = fcntl(bpf_map__fd(obs->skel->maps.procs), F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	return (rlim_t)fd + 3 + obs->fd_reserve > rl.rlim_cur ? -EMFILE : 0;
}

/* Makes slots of one class ready, from `first` to `last`, until `want`
 * are, `*budget` more have been made, or (one made at least) the clock
 * reads until_ms. */
static int refill_class(struct ad_observer *obs, uint32_t first, uint32_t last,
			uint32_t *nready, uint32_t want, uint32_t *budget,
			int64_t until_ms, char *err, size_t errlen)
{
	uint32_t slot = first;
	bool made = false;

	for (; *nready < want; (*budget)--, made = true) {
		int e;

		if (!*budget || (made && ad_mono_ms() >= until_ms)) {
			obs->refill_more = true;
			return 0;
		}

		while (slot <= last && obs->slots[slot].state != AD_SLOT_EMPTY)
			slot++;
		if (slot > last)
			return 0; /* every slot is taken: --max-slots */
		e = fds_left(obs);
		if (e) {
			ad_set_err(err, errlen,
				   "no more process slots made: their maps "
				   "would leave fewer than %u file descriptors "
				   "free for clients; new processes keep their "
				   "records in the shared maps until some exit "
				   "(raise the open-file limit, LimitNOFILE=)",
				   obs->fd_reserve);
			return e;
		}
		e = make_ready(obs, slot);
		if (e) {
			ad_set_err(err, errlen,
				   "creating the BPF maps of a process slot "
				   "failed: %s; new processes keep their "
				   "records in the shared maps until this "
				   "succeeds (lower --max-frames/--max-tasks "
				   "if memory is short)",
				   strerror(-e));
			return e;
		}
	}
	return 0;
}

/* One refill: a batch of small slots, stopped at until_ms once one is
 * made, then the big one. */
static int refill(struct ad_observer *obs, int64_t until_ms, char *err,
		  size_t errlen)
{
	uint32_t budget = AD_REFILL_BATCH, big_budget = AD_READY_BIG_SLOTS;
	int e;

	obs->refill_more = false;
	e = refill_class(obs, 1, obs->nslots, &obs->nready, AD_READY_SLOTS,
			 &budget, until_ms, err, errlen);
	if (!e && obs->nbig)
		e = refill_class(obs, obs->nslots + 1, obs->nslots + obs->nbig,
				 &obs->nready_big, AD_READY_BIG_SLOTS,
				 &big_budget, INT64_MAX, err, errlen);
	return e;
}

int ad_observer_refill(struct ad_observer *obs, char *err, size_t errlen)
{
	return refill(obs, ad_mono_ms() + AD_REFILL_SLICE_MS, err, errlen);
}

int ad_observer_refill_start(struct ad_observer *obs, char *err, size_t errlen)
{
	return refill(obs, INT64_MAX, err, errlen);
}

bool ad_observer_refill_due(const struct ad_observer *obs)
{
	return obs->refill_more;
}

/* The ready count of the class of slot. */
static uint32_t *nready_of(struct ad_observer *obs, uint32_t slot)
{
	return ad_obs_slot_is_big(obs, slot) ? &obs->nready_big : &obs->nready;
}

static void release(struct ad_observer *obs, uint32_t slot)
{
	struct ad_slot *sl = &obs->slots[slot];

	uninstall(obs, slot);
	close_maps(&sl->maps);
	if (sl->state == AD_SLOT_READY)
		(*nready_of(obs, slot))--;
	sl->state = AD_SLOT_EMPTY;
	sl->pid = sl->pgen = 0;
	sl->swept = false;
}

static bool valid(const struct ad_observer *obs, uint32_t slot)
{
	return slot != AD_SLOT_SHARED && slot <= obs->nslots + obs->nbig;
}

/* Keys in the map, counting up to limit. */
static uint64_t count_keys(int fd, size_t key_size, uint64_t limit)
{
	unsigned char key[2][64];
	uint64_t n = 0;
	int cur = 0;

	if (fd < 0 || key_size > sizeof(key[0]))
		return 0;
	if (bpf_map_get_next_key(fd, NULL, key[cur]))
		return 0;
	do {
		n++;
		cur ^= 1;
	} while (n < limit &&
		 !bpf_map_get_next_key(fd, key[cur ^ 1], key[cur]));
	return n;
}

int ad_observer_proc_left(struct ad_observer *obs, uint32_t pid, uint64_t limit,
			  struct ad_proc_left *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 1; obs->slots && i <= obs->nslots + obs->nbig; i++) {
		const struct ad_slot *sl = &obs->slots[i];

		if (sl->state != AD_SLOT_OWNED || sl->pid != pid)
			continue;
		if (!out->found) {
			memcpy(out->comm, sl->comm, sizeof(out->comm));
			out->since_ns = sl->owned_ns;
		}
		out->found = true;
		out->frames +=
			count_keys(sl->maps.frames, sizeof(uint64_t), limit);
		out->tasks += count_keys(sl->maps.tasks, sizeof(struct ad_key),
					 limit);
	}
	out->capped = out->frames >= limit || out->tasks >= limit;
	return out->found ? 0 : -ENOENT;
}

static void own(struct ad_observer *obs, uint32_t slot, uint32_t pid,
		uint32_t pgen)
{
	struct ad_slot *sl = &obs->slots[slot];

	if (sl->state == AD_SLOT_READY)
		(*nready_of(obs, slot))--;
	sl->state = AD_SLOT_OWNED;
	sl->pid = pid;
	sl->pgen = pgen;
	sl->swept = false;
	sl->owned_ns = ad_mono_ns();
	ad_proc_comm((pid_t)pid, sl->comm, sizeof(sl->comm));
}

/* What BPF wrote about the slot; false if unreadable. */
static bool read_owner(struct ad_observer *obs, uint32_t slot,
		       struct ad_slot_owner *o)
{
	return bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.slot_owner),
				   &slot, o) == 0;
}

/* The maps slot_maps names for slot, opened (-1 for each that is not
 * there any more); false if it names none. The outer arrays are never
 * looked up: see struct ad_slot_maps. */
static bool noted_maps(struct ad_observer *obs, uint32_t slot,
		       struct ad_mapset *out)
{
	struct ad_slot_maps ids;

	out->frames = out->tasks = out->strings = -1;
	if (bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.slot_maps), &slot,
				&ids) ||
	    (!ids.frames && !ids.tasks && !ids.strings))
		return false;
	out->frames = ids.frames ? bpf_map_get_fd_by_id(ids.frames) : -1;
	out->tasks = ids.tasks ? bpf_map_get_fd_by_id(ids.tasks) : -1;
	out->strings = ids.strings ? bpf_map_get_fd_by_id(ids.strings) : -1;
	return true;
}

/* Is slot in its ready ring, between head and tail? */
static bool in_ring(const struct ad_observer *obs, uint32_t slot)
{
	const struct ad_ready *r = obs->ready;
	bool big = ad_obs_slot_is_big(obs, slot);
	const uint32_t *ring = big ? r->big : r->slot;
	uint32_t size = big ? AD_READY_BIG_RING : AD_READY_RING;
	uint32_t head = __atomic_load_n(big ? &r->big_head : &r->head,
					__ATOMIC_ACQUIRE);
	uint32_t tail = __atomic_load_n(big ? &r->big_tail : &r->tail,
					__ATOMIC_ACQUIRE);

	for (uint32_t i = head; i != tail && i - head < size; i++)
		if (ring[i & (size - 1)] == slot)
			return true;
	return false;
}

static void adopt_slot(struct ad_observer *obs, uint32_t slot)
{
	struct ad_slot *sl = &obs->slots[slot];
	struct ad_mapset m = {-1, -1, -1, false};
	struct ad_slot_owner o;

	if (!noted_maps(obs, slot, &m))
		return; /* EMPTY */
	sl->maps = m;
	if (m.frames < 0 || m.tasks < 0 || m.strings < 0 ||
	    !read_owner(obs, slot, &o)) {
		release(obs, slot); /* made in part: given back */
		return;
	}
	if (o.pid) {
		own(obs, slot, o.pid, o.pgen);
		sl->owned_ns = o.taken_ns;
	} else if (in_ring(obs, slot)) {
		sl->state = AD_SLOT_READY;
		(*nready_of(obs, slot))++;
	} else {
		release(obs, slot);
	}
}

int ad_obs_slots_adopt(struct ad_observer *obs)
{
	struct ad_mapset *sh = &obs->slots[AD_SLOT_SHARED].maps;

	noted_maps(obs, AD_SLOT_SHARED, sh);
	sh->shared = true;
	if (sh->frames < 0 || sh->tasks < 0 || sh->strings < 0) {
		close_maps(sh);
		return -ENOENT;
	}
	obs->slots[AD_SLOT_SHARED].state = AD_SLOT_OWNED; /* by everyone */
	for (uint32_t slot = 1; slot <= obs->nslots + obs->nbig; slot++)
		adopt_slot(obs, slot);
	return 0;
}

void ad_obs_slot_taken(struct ad_observer *obs, uint32_t slot, uint32_t pid,
		       uint32_t pgen)
{
	if (!valid(obs, slot) || obs->slots[slot].state == AD_SLOT_EMPTY)
		return;
	own(obs, slot, pid, pgen);
}

void ad_obs_slot_gone(struct ad_observer *obs, uint32_t slot, uint32_t pid,
		      uint32_t pgen)
{
	struct ad_slot_owner o;
	struct ad_slot *sl;

	if (!valid(obs, slot))
		return;
	sl = &obs->slots[slot];
	/* Its SLOT_TAKEN event may have been lost: slot_owner tells. */
	if (sl->state == AD_SLOT_READY && read_owner(obs, slot, &o) &&
	    o.pid == pid && o.pgen == pgen)
		own(obs, slot, pid, pgen);
	if (sl->state == AD_SLOT_OWNED && sl->pid == pid && sl->pgen == pgen)
		release(obs, slot);
}

int ad_obs_slots_check(struct ad_observer *obs)
{
	int procs = bpf_map__fd(obs->skel->maps.procs);
	uint64_t now = ad_mono_ns();
	int released = 0;

	for (uint32_t slot = 1; slot <= obs->nslots + obs->nbig; slot++) {
		struct ad_slot *sl = &obs->slots[slot];
		struct ad_slot_owner o;
		struct ad_proc p;

		if (sl->state == AD_SLOT_EMPTY || !read_owner(obs, slot, &o))
			continue;
		if (sl->state == AD_SLOT_READY) {
			if (!o.pid)
				continue; /* still in the ready table */
			own(obs, slot, o.pid, o.pgen);
		}
		/* Owned: by a live incarnation whose record names it, else
		 * (it exited, or the thread that took it lost a race, which
		 * BPF never gives back: struct ad_ready) released. */
		if (now < o.taken_ns + AD_SLOT_SETTLE_NS)
			continue;
		if (bpf_map_lookup_elem(procs, &o.pid, &p) == 0 &&
		    p.pgen == o.pgen && (p.slot == slot || p.big == slot))
			continue; /* its owner lives */
		release(obs, slot);
		released++;
	}
	return released;
}

bool ad_obs_slot_maps(struct ad_observer *obs, uint32_t slot, uint32_t pid,
		      uint32_t pgen, struct ad_mapset *out)
{
	struct ad_slot_owner o;
	struct ad_slot *sl;

	if (!valid(obs, slot))
		return false;
	sl = &obs->slots[slot];
	/* Taken so recently that its event is still queued: its maps, but
	 * the slot is left as it is (the event, or ad_obs_slots_check, marks
	 * it owned), so dumps on several threads only read the table. */
	if (sl->state == AD_SLOT_READY && read_owner(obs, slot, &o) &&
	    o.pid == pid && o.pgen == pgen) {
		*out = sl->maps;
		return true;
	}
	if (sl->state != AD_SLOT_OWNED || sl->pid != pid || sl->pgen != pgen)
		return false;
	*out = sl->maps;
	return true;
}

int ad_obs_proc_sets(struct ad_observer *obs, pid_t pid,
		     const struct ad_proc *proc,
		     struct ad_mapset out[AD_LOCATIONS],
		     uint32_t ids[AD_LOCATIONS])
{
	uint32_t want[AD_LOCATIONS];
	int n = 0;

	if (proc->big)
		want[n++] = proc->big;
	if (proc->slot)
		want[n++] = proc->slot;
	if (!proc->slot || (proc->flags & AD_PF_SHARED))
		want[n++] = AD_SLOT_SHARED;
	for (int i = 0; i < n; i++) {
		if (want[i] == AD_SLOT_SHARED)
			out[i] = ad_obs_shared_maps(obs);
		else if (!ad_obs_slot_maps(obs, want[i], (uint32_t)pid,
					   proc->pgen, &out[i]))
			return -ESRCH;
		if (ids)
			ids[i] = want[i];
	}
	return n;
}
