// SPDX-License-Identifier: BSD-2-Clause
/*
 * observer.h - the BPF side of asyncdumpd: load the programs with the
 * configured capacities and the variant the kernel allows. The rest of
 * its contract is one header per job: attach.h (probes of objects and
 * processes), slots.h (each process's own maps), records.h (one process's
 * records read back), reclaim.h (records of exited tasks and processes).
 * Everything that touches libbpf lives behind these.
 *
 * Every function of them returning int returns 0 (or a count) on success
 * and -errno on failure, with a message naming what failed and what to do
 * written to err where it takes one (NUL-terminated, truncated to
 * errlen).
 */
#ifndef AD_OBSERVER_H
#define AD_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "asyncdump_abi.h"
#include "observer/kernel_features.h"
#include "observer/store.h"

/* ad_observer_opts.max_big for no big slots at all (0 is the default). */
#define AD_OBS_BIG_NONE UINT32_MAX

struct ad_observer_opts {
	/* live frames per process (AD_DEFAULT_MAX_FRAMES) */
	uint32_t max_frames;
	uint32_t max_tasks; /* live tasks per process, thread tasks included
			      * (AD_DEFAULT_MAX_TASKS) */
	uint32_t max_procs; /* observed processes (AD_DEFAULT_MAX_PROCS) */
	uint32_t max_slots; /* processes given maps of their own, <= max_procs
			      * (asyncdump_abi.h, "Where records live") */
	/* processes whose records may outgrow their small maps at once
	 * (AD_DEFAULT_MAX_BIG; AD_OBS_BIG_NONE: none may) */
	uint32_t max_big;
	uint32_t label_max; /* bytes kept of a _DYN string, NUL included */
	/* File descriptors a process's own maps (3) must leave free below
	 * the limit on open files, for the daemon's other work; 0: none */
	uint32_t fd_reserve;
	/* What the kernel can do (ad_features_probe()): which variant of
	 * the programs to load, how to read thread states. Required. */
	const struct ad_features *features;
	/* The directory the store is pinned under (pins.h), or NULL: not
	 * pinned, gone with the daemon. */
	const char *state_dir;
	/* Filled, when not NULL, with what became of a store pinned
	 * before ("" if nothing): adopted, or dropped and why. */
	char *state_note;
	size_t state_note_len;
	/* Called, if not NULL, from ad_observer_handle_events() when a
	 * process's storage changes (enum ad_proc_note), with on_proc_ctx. */
	void (*on_proc)(void *ctx, uint32_t pid, enum ad_proc_note what);
	void *on_proc_ctx;
};

struct ad_observer;

int ad_observer_open(const struct ad_observer_opts *opts,
		     struct ad_observer **out, char *err, size_t errlen);
void ad_observer_close(struct ad_observer *obs);

/* One line for the log on the pinned store (pins.h): new, or adopted
 * and what it holds. Returns buf. */
const char *ad_observer_pinned_line(const struct ad_observer *obs, char *buf,
				    size_t len);

/* A machine-wide counter (asyncdump_abi.h, enum ad_global); 0 if it
 * cannot be read. */
uint64_t ad_observer_global(struct ad_observer *obs, enum ad_global which);

#endif /* AD_OBSERVER_H */
