// SPDX-License-Identifier: BSD-2-Clause
/*
 * observer.c - load the BPF task/frame store (observer.h): the variant of
 * its programs the kernel allows, its maps sized by the options, the exit
 * and exec tracepoints attached. The rest of the observer is one file per
 * job, all sharing the state in store.h: attach.c (probes of objects and
 * processes), slots.c (each process's own maps), walk.c (reading a map in
 * batches), records.c (one process's records for a dump), reclaim.c
 * (what exited tasks and processes leave behind).
 */
#include "observer/observer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "core/errmsg.h"
#include "observer/attach.h"
#include "observer/discover.h"
#include "observer/libbpf_log.h"
#include "observer/pins.h"
#include "observer/reclaim.h"
#include "observer/slots.h"
#include "observer/store.h"
#include "observer/watch.h"

/* Events ring buffer size; an event takes 24 bytes, and a full ring only
 * delays reclaim and slot refills until the next ad_observer_gc(). */
#define AD_EVENTS_BYTES (256u * 1024u)

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

static int resize(struct bpf_map *map, uint32_t entries, char *err,
		  size_t errlen)
{
	int e = bpf_map__set_max_entries(map, entries);

	if (e)
		ad_set_err(err, errlen,
			   "sizing BPF map %s to %" PRIu32
			   " entries failed: %s",
			   bpf_map__name(map), entries, strerror(-e));
	return e;
}

/* The programs that may copy a _DYN string come in two variants
 * (bpf/asyncdump.bpf.c): sleepable, so they can fault a string's page in,
 * where the kernel allows it (libbpf 1.1 has no "usdt.s" section: the
 * flag is set here); else the non-faulting ad_nf_* ones. Only the chosen
 * ones are loaded. The hot ENTER/EXIT programs are never sleepable. */
static int dyn_variant(struct asyncdump *skel, bool sleepable, char *err,
		       size_t errlen)
{
	struct bpf_program *pairs[][3] = {
		{skel->progs.ad_enter_dyn, skel->progs.ad_nf_enter_dyn,
		 skel->progs.ad_to_enter_dyn},
		{skel->progs.ad_enter_at, skel->progs.ad_nf_enter_at,
		 skel->progs.ad_to_enter_at},
		{skel->progs.ad_task_spawn_dyn, skel->progs.ad_nf_spawn_dyn,
		 skel->progs.ad_to_task_spawn_dyn},
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		int e = bpf_program__set_autoload(pairs[i][!sleepable], true);

		if (!e)
			e = bpf_program__set_autoload(pairs[i][sleepable],
						      false);
		/* A sleepable handler cannot be tail-called: attached
		 * directly, without its dispatcher. */
		if (!e)
			e = bpf_program__set_autoload(pairs[i][2], !sleepable);
		if (!e && sleepable)
			e = bpf_program__set_flags(pairs[i][0],
						   BPF_F_SLEEPABLE);
		if (e) {
			ad_set_err(
				err, errlen,
				"choosing the _DYN probe programs failed: %s",
				strerror(-e));
			return e;
		}
	}
	return 0;
}

/* Sizes every map: the shared record maps and the slot tables (the
 * shared maps, small slots 1..max_slots and the big ones after them). */
static int configure(struct ad_observer *obs, const struct ad_observer_opts *o,
		     char *err, size_t errlen)
{
	struct asyncdump *skel = obs->skel;
	uint32_t nslots = obs->nslots + obs->nbig;
	int e;

	if ((e = resize(skel->maps.procs, o->max_procs, err, errlen)) ||
	    (e = resize(skel->maps.slot_owner, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.slot_maps, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.frames_of, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.tasks_of, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.strings_of, nslots + 1, err, errlen)) ||
	    (e = resize(skel->maps.events, AD_EVENTS_BYTES, err, errlen)))
		return e;
	/* label_max bounds the string copy; the verifier checks it against
	 * these value sizes, so they must agree. */
	if ((e = bpf_map__set_value_size(skel->maps.zeros, o->label_max))) {
		ad_set_err(err, errlen,
			   "setting the label size to %" PRIu32 " failed: %s",
			   o->label_max, strerror(-e));
		return e;
	}
	skel->rodata->label_max = o->label_max;
	skel->rodata->shared_frames_share = obs->share.frames;
	skel->rodata->shared_tasks_share = obs->share.tasks;
	skel->rodata->shared_frames_pool = obs->pool.frames;
	skel->rodata->shared_tasks_pool = obs->pool.tasks;
	return dyn_variant(skel, o->features->sleepable, err, errlen);
}

/* The maps of a slot must be like the inner map each outer map (frames_of
 * etc.) was created with. libbpf 1.1 cannot resize its own inner map
 * definitions, so the shared maps (slot 0) are created first, exactly as
 * every slot's will be (ad_obs_create_map), and given to libbpf as the
 * templates; a slot's frames map is keyed otherwise than the shared one,
 * so frames_of gets a template of its own (closed once loaded). */
static int set_templates(struct ad_observer *obs, char *err, size_t errlen)
{
	struct bpf_map *outer[4] = {
		obs->skel->maps.frames_shared_of, obs->skel->maps.tasks_of,
		obs->skel->maps.strings_of, obs->skel->maps.frames_of};
	int e = ad_obs_shared_create(obs);
	const struct ad_mapset *m = &obs->slots[AD_SLOT_SHARED].maps;
	int fds[4] = {m->frames, m->tasks, m->strings, -1};

	if (e) {
		ad_set_err(err, errlen,
			   "creating the shared BPF maps (%" PRIu32
			   " frames, %" PRIu32 " tasks) failed: %s%s%s",
			   obs->shared.frames, obs->shared.tasks, strerror(-e),
			   e == -ENOMEM ? "; lower --max-frames/--max-tasks"
					: ad_privilege_hint(-e),
			   ad_privilege_reason(-e));
		return e;
	}
	obs->frames_template =
		ad_obs_create_map(obs, AD_MAP_FRAMES, AD_SLOT_TEMPLATE);
	if (obs->frames_template < 0) {
		e = obs->frames_template;
		ad_set_err(err, errlen,
			   "creating the template frames map failed: %s%s%s",
			   strerror(-e), ad_privilege_hint(-e),
			   ad_privilege_reason(-e));
		return e;
	}
	fds[3] = obs->frames_template;
	for (unsigned int i = 0; i < 4; i++) {
		e = bpf_map__set_inner_map_fd(outer[i], fds[i]);
		if (e) {
			ad_set_err(
				err, errlen,
				"setting the template of BPF map %s failed: %s",
				bpf_map__name(outer[i]), strerror(-e));
			return e;
		}
	}
	return 0;
}

static int check_opts(const struct ad_observer_opts *in,
		      struct ad_observer_opts *o, char *err, size_t errlen)
{
	*o = *in;
	if (!o->features) {
		ad_set_err(err, errlen,
			   "the kernel's features were not probed");
		return -EINVAL;
	}
	if (!o->max_frames)
		o->max_frames = AD_DEFAULT_MAX_FRAMES;
	if (!o->max_tasks)
		o->max_tasks = AD_DEFAULT_MAX_TASKS;
	if (!o->max_procs)
		o->max_procs = AD_DEFAULT_MAX_PROCS;
	if (!o->label_max)
		o->label_max = AD_DEFAULT_LABEL_MAX;
	if (!o->max_big)
		o->max_big = AD_DEFAULT_MAX_BIG;
	else if (o->max_big == AD_OBS_BIG_NONE)
		o->max_big = 0;
	if (o->max_slots > o->max_procs) {
		ad_set_err(err, errlen,
			   "%" PRIu32 " process slots for %" PRIu32
			   " processes: use at most as many slots",
			   o->max_slots, o->max_procs);
		return -EINVAL;
	}
	if (o->max_procs > AD_MAX_PROCS_LIMIT) {
		ad_set_err(err, errlen,
			   "%" PRIu32 " processes is too many: "
			   "use at most %u",
			   o->max_procs, AD_MAX_PROCS_LIMIT);
		return -EINVAL;
	}
	if (o->label_max < 2 || o->label_max > AD_LABEL_MAX_LIMIT) {
		ad_set_err(err, errlen,
			   "label length %" PRIu32
			   " out of range: use 2 to %u bytes",
			   o->label_max, AD_LABEL_MAX_LIMIT);
		return -EINVAL;
	}
	return 0;
}

static int attach_tracepoint(struct bpf_program *prog, struct bpf_link **link,
			     const char *name, char *err, size_t errlen)
{
	int e;

	*link = bpf_program__attach(prog);
	if (*link)
		return 0;
	e = -errno;
	return ad_fail(e, err, errlen, "attaching to %s failed: %s%s%s", name,
		       strerror(-e), ad_privilege_hint(-e),
		       ad_privilege_reason(-e));
}

/* The exit and exec tracepoints: their handlers put in their dispatch
 * tables (replacing an adopted store's, each in one step), then their
 * dispatchers attached, and pinned if the store is; an adopted store's
 * pinned links kept. */
static int tracepoints(struct ad_observer *obs, char *err, size_t errlen)
{
	struct asyncdump *s = obs->skel;
	struct {
		struct bpf_program *prog, *handler;
		struct bpf_map *table;
		struct bpf_link **link;
		const char *name, *pin;
	} tp[] = {
		{s->progs.ad_to_sched_exit, s->progs.ad_sched_exit,
		 s->maps.dispatch_exit, &s->links.ad_to_sched_exit,
		 "sched_process_exit", "exit"},
		{s->progs.ad_to_sched_exec, s->progs.ad_sched_exec,
		 s->maps.dispatch_exec, &s->links.ad_to_sched_exec,
		 "sched_process_exec", "exec"},
	};

	for (size_t i = 0; i < sizeof(tp) / sizeof(tp[0]); i++) {
		char path[sizeof(obs->pin_dir) + 16];
		uint32_t zero = 0;
		int fd = bpf_program__fd(tp[i].handler), e;

		if (bpf_map_update_elem(bpf_map__fd(tp[i].table), &zero, &fd,
					BPF_ANY))
			return ad_fail(-errno, err, errlen,
				       "setting the %s handler failed: %s",
				       tp[i].name, strerror(errno));

		if (obs->adopt) {
			snprintf(path, sizeof(path), "%s/%s", obs->pin_dir,
				 tp[i].pin);
			*tp[i].link = bpf_link__open(path);
			if (*tp[i].link)
				continue;
			/* not pinned (cut short): attached anew */
		}
		e = attach_tracepoint(tp[i].prog, tp[i].link, tp[i].name, err,
				      errlen);
		if (e)
			return e;
		if (!obs->pin_dir[0])
			continue;
		e = ad_pins_link(obs, *tp[i].link, tp[i].pin);
		if (e)
			return ad_fail(e, err, errlen,
				       "pinning the %s link failed: %s",
				       tp[i].name, strerror(-e));
	}
	return 0;
}

int ad_observer_open(const struct ad_observer_opts *opts,
		     struct ad_observer **out, char *err, size_t errlen)
{
	struct ad_observer_opts o;
	struct ad_observer *obs;
	int e;

	*out = NULL;
	e = check_opts(opts, &o, err, errlen);
	if (e)
		return e;
	ad_libbpf_log_init();
	obs = calloc(1, sizeof(*obs));
	if (!obs) {
		ad_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	obs->frames_template = -1;
	obs->att_fd = -1;
	obs->pin_lock = -1;
	obs->label_max = o.label_max;
	obs->features = *o.features;
	obs->max_frames = o.max_frames;
	obs->max_tasks = o.max_tasks;
	obs->fd_reserve = o.fd_reserve;
	obs->on_proc = o.on_proc;
	obs->on_proc_ctx = o.on_proc_ctx;
	ad_obs_caps_set(obs, o.max_procs, o.max_slots, o.max_big);
	if (ad_obs_reclaim_init(obs) || ad_obs_slots_init(obs)) {
		ad_set_err(err, errlen, "out of memory");
		e = -ENOMEM;
		goto fail;
	}
	obs->skel = asyncdump__open();
	if (!obs->skel) {
		e = -errno;
		ad_set_err(err, errlen, "opening the BPF object failed: %s",
			   strerror(-e));
		goto fail;
	}
	e = configure(obs, &o, err, errlen);
	if (e)
		goto fail;
	if (o.state_dir) {
		char none[1];

		e = ad_pins_prepare(
			obs, o.state_dir, o.state_note ? o.state_note : none,
			o.state_note ? o.state_note_len : 1, err, errlen);
		if (e)
			goto fail;
	}
	/* An adopted store's maps are reused whole: no template needed. */
	e = obs->adopt ? 0 : set_templates(obs, err, errlen);
	if (e)
		goto fail;
	e = asyncdump__load(obs->skel);
	if (obs->frames_template >= 0)
		close(obs->frames_template);
	obs->frames_template = -1;
	if (e) {
		/* As root, whatever the error, the verifier's log says why. */
		ad_set_err(err, errlen, "loading BPF programs failed: %s%s%s",
			   strerror(-e), ad_privilege_hint(-e),
			   geteuid() ? "" : ad_libbpf_reason());
		goto fail;
	}
	e = ad_obs_ready_map(obs);
	if (e) {
		ad_set_err(err, errlen,
			   "mapping the ready-slot table failed: %s",
			   strerror(-e));
		goto fail;
	}
	e = obs->adopt ? ad_obs_slots_adopt(obs) : ad_obs_shared_install(obs);
	if (e) {
		ad_set_err(err, errlen, "%s the shared BPF maps failed: %s",
			   obs->adopt ? "adopting" : "installing",
			   strerror(-e));
		goto fail;
	}
	/* This daemon's handlers, before any site is attached; an adopted
	 * store's sites run them from here on. */
	e = ad_obs_dispatch_fill(obs, &obs->dispatched);
	if (e) {
		ad_set_err(err, errlen,
			   "filling the probes' dispatch table failed: %s",
			   strerror(-e));
		goto fail;
	}
	/* The exit/exec tracepoints (an adopted store's run on, pinned);
	 * the USDT programs attach per object. */
	e = tracepoints(obs, err, errlen);
	if (e)
		goto fail;
	if (o.state_dir) {
		e = ad_pins_commit(obs, err, errlen);
		if (!e)
			e = ad_obs_attachments_open(obs, err, errlen);
		if (e)
			goto fail;
	}
	/* Before any probe is attached, so the first processes get their
	 * own maps; a kernel or memory limit that refuses them fails here,
	 * at startup. */
	e = ad_observer_refill_start(obs, err, errlen);
	if (e)
		goto fail;
	obs->rb = ring_buffer__new(bpf_map__fd(obs->skel->maps.events),
				   ad_obs_handle_event, obs, NULL);
	if (!obs->rb) {
		e = -errno;
		ad_set_err(err, errlen,
			   "opening the events ring buffer failed: %s",
			   strerror(-e));
		goto fail;
	}
	*out = obs;
	return 0;
fail:
	ad_observer_close(obs);
	return e < 0 ? e : -EINVAL;
}

void ad_observer_close(struct ad_observer *obs)
{
	if (!obs)
		return;
	ad_obs_discover_close(obs);
	ad_obs_detach_all(obs);
	ad_obs_watch_close(obs);
	ring_buffer__free(obs->rb);
	ad_obs_reclaim_fini(obs);
	ad_obs_slots_fini(obs);
	ad_obs_ready_unmap(obs);
	asyncdump__destroy(obs->skel);
	if (obs->frames_template >= 0)
		close(obs->frames_template);
	if (obs->pin_lock >= 0)
		close(obs->pin_lock); /* last: the next daemon may adopt now */
	free(obs);
}

const char *ad_observer_pinned_line(const struct ad_observer *obs, char *buf,
				    size_t len)
{
	int procs = bpf_map__fd(obs->skel->maps.procs);
	uint32_t key, next, nprocs = 0;
	size_t sites = 0;

	if (!obs->pin_dir[0]) {
		snprintf(buf, len, "store not pinned");
		return buf;
	}
	if (!obs->adopt) {
		snprintf(buf, len,
			 "store pinned under %s: new; a restart adopts it",
			 obs->pin_dir);
		return buf;
	}
	for (bool first = true;
	     !bpf_map_get_next_key(procs, first ? NULL : &key, &next);
	     first = false, key = next)
		nprocs++;
	for (size_t i = 0; i < obs->natt; i++)
		sites += (size_t)obs->att[i].sites;
	snprintf(buf, len,
		 "store pinned under %s adopted: %u processes, %zu probe "
		 "sites of %zu files still attached, nothing lost while no "
		 "daemon ran but what its counters show; %u of %u probes and "
		 "the exit/exec hooks now run this daemon's programs%s",
		 obs->pin_dir, nprocs, sites, obs->natt, obs->dispatched,
		 (unsigned)AD_PROBE_COUNT,
		 obs->dispatched < AD_PROBE_COUNT
			 ? " (the sleepable _DYN ones, attached directly, keep "
			   "the previous daemon's until their file is "
			   "attached again)"
			 : "");
	return buf;
}

uint64_t ad_observer_global(struct ad_observer *obs, enum ad_global which)
{
	uint32_t key = which;
	uint64_t v = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.globals), &key, &v))
		return 0;
	return v;
}
