/*
 * observer_impl.h - what the files of the observer share (observer.c:
 * loading and attaching; observer_slots.c: each process's own maps;
 * observer_walk.c: reading a map in batches; observer_read.c: reading one
 * process; observer_gc.c: reclaiming). Internal to those files: everything
 * else goes through observer.h.
 */
#ifndef AD_OBSERVER_IMPL_H
#define AD_OBSERVER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "errmsg.h"
#include "idtab.h"
#include "observer.h"

struct asyncdump;
struct bpf_link;
struct ring_buffer;

/* The probes of one object (by inode) attached for one pid (or -1). */
struct ad_attachment {
	dev_t dev;
	ino_t ino;
	pid_t pid;
	struct bpf_link *links[AD_PROBE_COUNT];
	int sites;
};

/* The three record maps of one process (or the shared ones), as fds. */
struct ad_mapset {
	int frames;
	int tasks;
	int strings;
	bool shared; /* the shared maps: records of many processes */
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

struct ad_slot {
	enum ad_slot_state state;
	struct ad_mapset maps; /* fds, -1 while EMPTY */
	uint32_t pid, pgen;    /* OWNED: the owner */
	/* The owner's task_exits and tasks_full counts when its maps were
	 * last judged (swept): unchanged, no frame of an exited task can be
	 * there, and periodic sweeps skip the maps (observer_gc.c). */
	bool swept;
	uint64_t swept_exits, swept_tasks_full;
};

/* How many slots the daemon keeps ready, at most half the entries of the
 * ready_slots table (asyncdump_abi.h, struct ad_ready). A new process
 * takes one at its first probe hit; the daemon makes another as soon as
 * it reads the event. More processes than this starting faster than the daemon reacts
 * (a few ms, or one dump) go to the shared maps, which loses nothing but
 * makes their dumps walk every shared record. Each ready slot costs the
 * hash buckets of its three maps (16 bytes per bucket, README). */
#define AD_READY_SLOTS (AD_READY_RING / 2u)

/* A map walked in batches (observer_walk.c), resumable, so that a sweep
 * can read a million records a few thousand at a time between dumps. */
struct ad_walk {
	int fd;
	size_t ksz, vsz, cap; /* key/value size, entries per batch */
	char *keys, *vals;
	uint64_t in_batch, out_batch;
	bool started, done;
	bool no_batch; /* the kernel has no batch ops: get_next_key */
	bool have_prev;
	char *prev; /* last key of the get_next_key fallback */
};

/* One record of a walk; nonzero stops the walk and is returned. */
typedef int (*ad_entry_fn)(void *ctx, const void *key, const void *value);

int ad_walk_open(struct ad_walk *w, int fd, size_t ksz, size_t vsz,
		 size_t per_batch);
/* One batch: fn for each of its entries. Returns 1 while there is more,
 * 0 at the end, or -errno / fn's nonzero return. Entries inserted or
 * deleted during a walk may be missed or seen twice. */
int ad_walk_step(struct ad_walk *w, ad_entry_fn fn, void *ctx);
void ad_walk_close(struct ad_walk *w);
/* The whole map at once. */
int ad_walk_map(int fd, size_t ksz, size_t vsz, ad_entry_fn fn, void *ctx);

/* The sweep under way (observer_gc.c): the map sets it covers, and per
 * set a judging walk over tasks, frames and strings, then the deletes. */
struct ad_doomed {
	struct ad_key key;
	uint64_t gen;  /* frame enter_ns, task spawn_ns; 0 for strings */
	uint64_t task; /* frame: its task and task_gen (MOVE changes them) */
	uint64_t task_gen;
	uint32_t pgen;
	uint32_t kind; /* enum in observer_gc.c: task, frame or string */
};

struct ad_reclaim {
	int want;  /* enum ad_sweep_mode asked for next, -1 for none */
	int phase; /* enum in observer_gc.c: idle, judging a map, deleting */
	int mode;  /* enum ad_sweep_mode of the sweep under way */
	unsigned int nfull; /* full sweeps started, for deep ones */
	bool deep;          /* this one judges every slot */
	uint64_t set_exits, set_tasks_full; /* the owner's, when judged */
	uint32_t set;       /* the map set being judged: 0 shared, else slot */
	uint32_t set_pid, set_pgen; /* its owner (slots) */
	struct ad_mapset maps;      /* its fds */
	struct ad_walk walk;        /* the judging walk */
	struct ad_idtab live;       /* live tasks, and owners of copied
				     * strings, seen by this set's walks */
	struct ad_doomed *del;
	size_t ndel, cdel, next;
	uint64_t now_ns; /* CLOCK_MONOTONIC when the sweep began */
	struct ad_reclaim_stats st;
};

struct ad_observer {
	struct asyncdump *skel; /* the probes; creates every shared map */
	struct ad_features features; /* the variant loaded */
	struct ad_ready *ready;      /* the ready_slots table, mapped */
	struct ring_buffer *rb;
	uint32_t label_max;
	uint32_t max_frames, max_tasks; /* capacity of each record map */
	struct ad_slot *slots;          /* [1..nslots]; [0] unused */
	uint32_t nslots, nready;
	struct ad_attachment *att;
	size_t natt, catt;
	struct ad_reclaim rq;
};

uint64_t ad_obs_mono_ns(void);

/* The shared maps. */
struct ad_mapset ad_obs_shared_maps(const struct ad_observer *obs);
/* Capacity of a strings map: max_frames + max_tasks. */
uint32_t ad_obs_strings_cap(const struct ad_observer *obs);

/* observer_slots.c */

enum ad_map_kind { AD_MAP_FRAMES, AD_MAP_TASKS, AD_MAP_STRINGS };
/* A record map as the inner map definitions of bpf/maps.bpf.h say (the
 * kernel installs no map in frames_of etc. that differs from the one the
 * outer map was created with), sized like the shared maps. Named
 * ad_<kind><slot>. Returns its fd or -errno. */
int ad_obs_create_map(const struct ad_observer *obs, enum ad_map_kind which,
		      uint32_t slot);

/* The shared maps, slot 0: created before the BPF object is loaded (they
 * are the template of every slot's maps), installed after. 0 or -errno. */
int ad_obs_shared_create(struct ad_observer *obs);
int ad_obs_shared_install(struct ad_observer *obs);
/* Maps the ready_slots table into obs->ready (after load), and back out.
 * 0 or -errno. */
int ad_obs_ready_map(struct ad_observer *obs);
void ad_obs_ready_unmap(struct ad_observer *obs);
/* The slot table, all EMPTY. 0 or -ENOMEM. */
int ad_obs_slots_init(struct ad_observer *obs, uint32_t nslots);
void ad_obs_slots_fini(struct ad_observer *obs);
/* An event: slot taken by (pid, pgen); the incarnation (pid, pgen) gone.
 * A slot released is EMPTY again, its maps (and every record in them)
 * freed by the kernel. */
void ad_obs_slot_taken(struct ad_observer *obs, uint32_t slot, uint32_t pid,
		       uint32_t pgen);
void ad_obs_slot_gone(struct ad_observer *obs, uint32_t slot, uint32_t pid,
		      uint32_t pgen);
/* Finds slots taken or left without an event (lost to a full ring):
 * taken per slot_owner, or owned by an incarnation that has no process
 * record any more. Returns the number of slots released. */
int ad_obs_slots_check(struct ad_observer *obs);
/* The maps of (pid, pgen)'s slot; false if the slot is not theirs. */
bool ad_obs_slot_maps(struct ad_observer *obs, uint32_t slot, uint32_t pid,
		      uint32_t pgen, struct ad_mapset *out);

/* observer_gc.c: the events ring buffer's callback, and the reclaim
 * state's setup and teardown. */
int ad_obs_handle_event(void *ctx, void *data, size_t size);
void ad_obs_reclaim_init(struct ad_observer *obs);
void ad_obs_reclaim_fini(struct ad_observer *obs);

#endif /* AD_OBSERVER_IMPL_H */
