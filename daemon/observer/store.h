// SPDX-License-Identifier: BSD-2-Clause
/*
 * store.h - the observer's state, which its files share (observer.c,
 * attach.c, slots.c, walk.c, records.c, reclaim.c, watch.c): types only. Nothing
 * outside observer/ includes it; the daemon goes through observer.h and
 * the headers it names.
 */
#ifndef AD_STORE_H
#define AD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "asyncdump_abi.h"
#include "observer/kernel_features.h"

struct asyncdump;
struct bpf_link;
struct ring_buffer;
struct ad_reclaim;
struct ad_watch;
struct ad_discover;

/* The probes of one object (by inode) attached for one pid (or -1). */
struct ad_attachment {
	dev_t dev;
	ino_t ino;
	pid_t pid;
	/* The file's size, mtime and ctime when attached: a difference
	 * means its contents changed under the probes (watch.h). */
	off_t size;
	struct timespec mtime, ctime;
	struct bpf_link **links; /* one per probe site (malloc'd) */
	int sites;		 /* how many */
	/* pid -1, in a pinned store: its links pinned and its record in the
	 * attached map (attach.c), so the next daemon adopts them */
	bool pinned;
	/* adopted from the pins, and not yet claimed by a target or
	 * discovery: dropped if none claims it (ad_obs_drop_unclaimed()) */
	bool unclaimed;
	/* CLOCK_MONOTONIC once every probe was attached: a process started
	 * before it may have entered frames unseen (ad_coverage()). */
	uint64_t attached_ns;
};

/* The three record maps of one process (or the shared ones), as fds. */
struct ad_mapset {
	int frames;
	int tasks;
	int strings;
	/* The shared maps: its frames map is keyed by struct ad_shared_key,
	 * a slot's by the frame id alone (asyncdump_abi.h, struct ad_frame). */
	bool shared;
};

/* A slot: one process's own maps (asyncdump_abi.h, "Where records live").
 *   EMPTY: no maps.
 *   READY: maps created, in the outer arrays and put in the ready_slots
 *          table (or taken from it by a process whose SLOT_TAKEN event
 *          has not been read yet).
 *   OWNED: taken by the incarnation (pid, pgen).
 * The daemon learns a slot was taken from an AD_EV_SLOT_TAKEN event or,
 * if that was lost, from the slot_owner map. */
enum ad_slot_state { AD_SLOT_EMPTY, AD_SLOT_READY, AD_SLOT_OWNED };

/* What became of a process's storage (asyncdump_abi.h, "Where records
 * live"), for the log. */
enum ad_proc_note {
	/* No room in the process table (--max-procs): not observed until
	 * it finds some (refused.h); told at its first refusal. */
	AD_NOTE_REFUSED,
	/* Its small maps filled: it took a big slot. */
	AD_NOTE_GREW,
	/* It began in the shared maps (no slot was ready at its first
	 * probe) and now has maps of its own. */
	AD_NOTE_MOVED,
	/* Its first probe hit: it took maps of its own. (One that finds
	 * none ready starts in the shared maps, told when it MOVED.) */
	AD_NOTE_OBSERVED,
	/* It exited or exec'd; told before its maps are dropped
	 * (ad_observer_proc_left()). */
	AD_NOTE_EXITED,
};

struct ad_slot {
	enum ad_slot_state state;
	struct ad_mapset maps; /* fds, -1 while EMPTY */
	uint32_t pid, pgen;    /* OWNED: the owner */
	char comm[16];	       /* OWNED: its comm when the daemon learnt it */
	uint64_t owned_ns;     /* OWNED: since when (CLOCK_MONOTONIC) */
	/* The owner's task_exits and tasks_full counts when its maps were
	 * last judged (swept): unchanged, no frame of an exited task can be
	 * there, and periodic sweeps skip the maps (reclaim.c). */
	bool swept;
	uint64_t swept_exits, swept_tasks_full;
};

/* How many small slots the daemon keeps ready, at most half the entries
 * of the ready_slots table (asyncdump_abi.h, struct ad_ready). A new
 * process takes one at its first probe hit; the daemon makes another as
 * soon as it reads the event. More processes than this starting faster
 * than the daemon reacts (a few ms, or one dump) start in the shared
 * maps, with a share of them, and take a slot of their own as soon as
 * one is ready. Each ready slot costs the hash buckets of its three maps
 * (16 bytes per bucket, README): about 100 kB. */
#define AD_READY_SLOTS (AD_READY_RING / 2u)
/* Made by one refill at most (ad_observer_refill): the rest by the next
 * ones, so that neither starting (each slot is three map creations) nor
 * a dump waiting for the observer's lock waits for all of them. */
#define AD_REFILL_BATCH 16u
/* And one refill stops after this long, one slot made at least: putting
 * a map into a map of maps waits for an RCU grace period in the kernel,
 * three per slot, about 40 ms a slot on Linux 6.18 in a VM. With the
 * batch alone, a dump in the first seconds after a start waited 400 ms
 * for the observer's lock. Not at start-up (ad_observer_refill_start):
 * the first processes find a whole batch ready. */
#define AD_REFILL_SLICE_MS 10
/* Big slots kept ready: one, for the next process whose small maps fill
 * (they cost tens of MB each, README). */
#define AD_READY_BIG_SLOTS 1u

/* Capacities of one class of map sets. */
struct ad_caps {
	uint32_t frames, tasks, strings;
};

struct ad_observer {
	struct asyncdump *skel;	     /* the probes; creates every shared map */
	struct ad_features features; /* the variant loaded */
	struct ad_ready *ready;	     /* the ready_slots table, mapped */
	struct ring_buffer *rb;
	uint32_t label_max;
	uint32_t max_frames, max_tasks; /* per process, ad_observer_opts */
	/* Capacities of the maps of a small slot, a big one, and the shared
	 * maps; a process's share of those (asyncdump_abi.h, "Where records
	 * live"). */
	struct ad_caps small, big, shared, share, pool;
	uint32_t fd_reserve; /* ad_observer_opts */
	/* [0] the shared maps, [1..nslots] small slots, then nbig big
	 * ones. */
	struct ad_slot *slots;
	uint32_t nslots, nbig;
	uint32_t nready, nready_big;
	bool refill_more;    /* the last refill stopped at AD_REFILL_BATCH */
	int frames_template; /* frames_of's template until loaded, or -1 */
	struct ad_attachment *att;
	size_t natt, catt;
	struct ad_watch *watch;	  /* watch.c; NULL while nothing is watched */
	struct ad_discover *disc; /* discover.c; NULL until used */
	struct ad_reclaim *rq;	  /* the sweeps' state (reclaim.c) */
	/* pins.h: the store's directory ("" when not pinned), and whether
	 * the store found there is adopted rather than made */
	char pin_dir[512];
	bool adopt;
	int att_fd;   /* the pinned attached map (attach.c), or -1 */
	int pin_lock; /* the state directory, flock'ed (pins.c), or -1 */
	unsigned int dispatched; /* probes run through the dispatch table */
	/* ad_observer_opts */
	void (*on_proc)(void *ctx, uint32_t pid, enum ad_proc_note what);
	void *on_proc_ctx;
};

#endif /* AD_STORE_H */
