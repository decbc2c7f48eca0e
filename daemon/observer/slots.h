// SPDX-License-Identifier: BSD-2-Clause
/*
 * slots.h - each process's own record maps (asyncdump_abi.h, "Where
 * records live"): created ahead, put in the ready-slot table for BPF to
 * take, found for a dump, dropped when their process has gone; and the
 * shared maps, slot 0. store.h has the slot states.
 */
#ifndef AD_SLOTS_H
#define AD_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "observer/store.h"

/* What an exiting process left in its own maps, told (AD_NOTE_EXITED)
 * before they are dropped. */
struct ad_proc_left {
	bool found;	   /* it had maps of its own */
	char comm[16];	   /* its comm when it took them */
	uint64_t since_ns; /* when the daemon learnt it took them */
	uint64_t frames, tasks;
	bool capped; /* counting stopped at the limit */
};

/* Counts the records in process pid's own maps (up to limit each: one
 * system call per record). Returns 0, or -ENOENT if it has none (it is in
 * the shared maps). */
int ad_observer_proc_left(struct ad_observer *obs, uint32_t pid, uint64_t limit,
			  struct ad_proc_left *out);

/* Each process's own maps (asyncdump_abi.h, "Where records live"). The
 * daemon keeps a few slots ready; every process that takes one is
 * announced by an event, after which the daemon should call this to make
 * another. 0, or -errno with a message (new processes then use the
 * shared maps, which loses nothing but makes their dumps slower). */
int ad_observer_refill(struct ad_observer *obs, char *err, size_t errlen);
/* The same at start-up, before any probe is attached and while no dump
 * can wait for it: a whole batch (AD_REFILL_BATCH), not cut short by
 * time, so that the first processes find slots ready. */
int ad_observer_refill_start(struct ad_observer *obs, char *err, size_t errlen);
/* Did the last refill stop at its batch (AD_REFILL_BATCH) with slots
 * still to make? Then call it again soon. */
bool ad_observer_refill_due(const struct ad_observer *obs);

/* The shared maps. */
struct ad_mapset ad_obs_shared_maps(const struct ad_observer *obs);

/* Sets the capacities of each class of map sets (obs->small, big,
 * shared, share) and the number of slots of each class, from the
 * per-process obs->max_frames and max_tasks and the options: small maps
 * of at most AD_SMALL_*, big ones holding the rest of a process's
 * capacity (none if nothing is left, or max_big is 0), shared maps
 * holding max_procs shares (with max_slots 0, where every process keeps
 * its records there, one process's whole capacity). */
void ad_obs_caps_set(struct ad_observer *obs, uint32_t max_procs,
		     uint32_t max_slots, uint32_t max_big);
/* Is slot a big one? */
bool ad_obs_slot_is_big(const struct ad_observer *obs, uint32_t slot);

enum ad_map_kind { AD_MAP_FRAMES, AD_MAP_TASKS, AD_MAP_STRINGS };
/* A record map as the inner map definitions of bpf/maps.bpf.h say (the
 * kernel installs no map in frames_of etc. that differs from the one the
 * outer map was created with), sized for slot: the shared maps
 * (AD_SLOT_SHARED), a small or a big slot, or AD_SLOT_TEMPLATE, a
 * small slot's made only as the template of frames_of. Named
 * ad_<kind><slot> (ad_<kind>_tmpl). Returns its fd or -errno. */
#define AD_SLOT_TEMPLATE UINT32_MAX
int ad_obs_create_map(const struct ad_observer *obs, enum ad_map_kind which,
		      uint32_t slot);

/* The shared maps, slot 0: created before the BPF object is loaded (they
 * are the template of every slot's maps), installed after. 0 or -errno. */
int ad_obs_shared_create(struct ad_observer *obs);
int ad_obs_shared_install(struct ad_observer *obs);
/* Instead, for a store adopted from its pins (pins.h): every slot's maps
 * found in the outer arrays, each slot owned (slot_owner names a
 * process), ready (in the ready table) or, neither, given back. Needs the
 * ready table mapped. Returns 0, or -ENOENT if the shared maps are
 * missing (a store cut short). */
int ad_obs_slots_adopt(struct ad_observer *obs);
/* Maps the ready_slots table into obs->ready (after load), and back out.
 * 0 or -errno. */
int ad_obs_ready_map(struct ad_observer *obs);
void ad_obs_ready_unmap(struct ad_observer *obs);
/* The slot table (obs->nslots small and obs->nbig big slots), all
 * EMPTY. 0 or -ENOMEM. */
int ad_obs_slots_init(struct ad_observer *obs);
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
/* The maps of (pid, pgen)'s slot; false if the slot is not theirs. Reads
 * the slot table only (dumps call it on several threads at once, with the
 * daemon's observer lock held for reading). */
bool ad_obs_slot_maps(struct ad_observer *obs, uint32_t slot, uint32_t pid,
		      uint32_t pgen, struct ad_mapset *out);

/* The map sets holding records of process pid (its record proc), newest
 * first, as BPF looks them up (asyncdump_abi.h, "Where records live"):
 * its big slot's, its own slot's, the shared maps (which hold other
 * processes' records too: AD_SLOT_SHARED in ids[]). Their slot numbers in
 * ids[] if not NULL. Returns how many (1 to AD_LOCATIONS), or -ESRCH if a
 * slot of its is not its own any more (it exited meanwhile). */
int ad_obs_proc_sets(struct ad_observer *obs, pid_t pid,
		     const struct ad_proc *proc,
		     struct ad_mapset out[AD_LOCATIONS],
		     uint32_t ids[AD_LOCATIONS]);

#endif /* AD_SLOTS_H */
