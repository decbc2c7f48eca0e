// SPDX-License-Identifier: BSD-2-Clause
/*
 * pins.h - the store pinned in the BPF filesystem, so that it outlives
 * the daemon (observer.h says how errors are returned).
 *
 * Under DIR/v<AD_LAYOUT_VERSION>/ (DIR: --state-dir, /sys/fs/bpf/asyncdump
 * for the service): every map of the store by its name, the layout it was
 * made with ("layout"), and the probe links. A daemon whose layout is the
 * same adopts them, so events recorded while no daemon ran are kept and
 * nothing is attached twice; any other layout, or another version's
 * directory, is dropped and said so, never read.
 */
#ifndef AD_PINS_H
#define AD_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ad_observer;
struct bpf_link;

/* What a pinned store must agree on to be adopted: the version of the
 * maps' layout, the sizes of their records, and every capacity and
 * setting the maps and programs were made with. */
struct ad_layout {
	uint32_t version; /* AD_LAYOUT_VERSION */
	uint32_t records; /* the sizes of the shared records, summed */
	uint32_t label_max, max_procs, nslots, nbig;
	uint32_t small_frames, small_tasks, small_strings;
	uint32_t big_frames, big_tasks, big_strings;
	uint32_t shared_frames, shared_tasks, shared_strings;
	uint32_t share_frames, share_tasks, pool_frames, pool_tasks;
	uint32_t sleepable;
};

/* The layout obs would make (its capacities set, not loaded yet). */
void ad_pins_layout(const struct ad_observer *obs, struct ad_layout *out);

/* Before the store is loaded: makes dir/vN, and if it holds a store of
 * this layout, sets obs->adopt; a store of another layout or version is
 * unpinned (which detaches its probes) and described in `note` (empty if
 * nothing was dropped). Then names every map's pin, so that loading
 * reuses the pinned maps or pins new ones. Returns 0 or -errno. */
int ad_pins_prepare(struct ad_observer *obs, const char *dir, char *note,
		    size_t notelen, char *err, size_t errlen);

/* Once loaded: a new store's layout pinned beside its maps. */
int ad_pins_commit(struct ad_observer *obs, char *err, size_t errlen);

/* Pins link l as `name` (a path under the store's directory, "links/..."
 * made as needed). Returns 0 or -errno. */
int ad_pins_link(const struct ad_observer *obs, struct bpf_link *l,
		 const char *name);

/* A hash map of user space's own, pinned as `name` beside the store's:
 * the pinned one if there is one of this shape (-EINVAL if of another),
 * else a new one, pinned. Returns its fd or -errno. */
int ad_pins_map(const struct ad_observer *obs, const char *name,
		uint32_t key_size, uint32_t value_size, uint32_t max_entries);

/* ad_pins_remove() of `name` under the store's directory. */
int ad_pins_unlink(const struct ad_observer *obs, const char *name);

/* Removes the pins under path, path itself included (a store dropped:
 * its links detach, its maps go once nothing else holds them). Returns
 * the number of pins removed, or -errno. */
int ad_pins_remove(const char *path);

#endif /* AD_PINS_H */
