/*
 * observer.h - the BPF side of asyncdumpd: load the programs with the
 * configured capacities, attach them to the asyncdump probes of binaries
 * and processes, reclaim records of exited processes, and read one
 * process's records back. Everything that touches libbpf lives behind this.
 */
#ifndef AD_OBSERVER_H
#define AD_OBSERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../include/asyncdump_abi.h"

struct ad_observer_opts {
	uint32_t max_frames; /* live frames, all processes (AD_DEFAULT_MAX_FRAMES) */
	uint32_t max_tasks;  /* live tasks incl. thread tasks (AD_DEFAULT_MAX_TASKS) */
	uint32_t max_procs;  /* observed processes (AD_DEFAULT_MAX_PROCS) */
	uint32_t label_max;  /* bytes kept of a _DYN string, NUL included */
};

struct ad_observer;

/* Records of one process, as read from the maps (parallel arrays). */
struct ad_raw_records {
	uint64_t *frame_ids;
	struct ad_frame *frames;
	size_t nframes;
	uint64_t *task_ids;
	struct ad_task *tasks;
	size_t ntasks;
};
void ad_raw_records_free(struct ad_raw_records *r);

/* Every function returning int returns 0 (or a count) on success and
 * -errno on failure, with a message naming what failed and what to do
 * written to err (NUL-terminated, truncated to errlen). */

int ad_observer_open(const struct ad_observer_opts *opts,
		     struct ad_observer **out, char *err, size_t errlen);
void ad_observer_close(struct ad_observer *obs);

/* Attaches every asyncdump probe of the ELF file at `path` (executable or
 * shared library). pid -1: every process that maps it, now and later.
 * Returns the number of probe sites attached; -ENOENT (with a message) if
 * the file has no asyncdump probes. */
int ad_observer_attach_path(struct ad_observer *obs, const char *path,
			    pid_t pid, char *err, size_t errlen);
/* Attaches, for that PID only, every object it maps that has asyncdump
 * probes. Returns the number of probe sites attached. */
int ad_observer_attach_pid(struct ad_observer *obs, pid_t pid, char *err,
			   size_t errlen);

/* Ring buffer of process-exit events; poll it for readability, then call
 * ad_observer_handle_events(), which reclaims records of exited processes. */
int ad_observer_events_fd(struct ad_observer *obs);
int ad_observer_handle_events(struct ad_observer *obs);
/* Full sweep: deletes records whose process is gone or is a newer
 * incarnation. Returns the number of records deleted. */
int ad_observer_gc(struct ad_observer *obs);

/* -ENOENT if the process has no record (never hit a probe, or exited). */
int ad_observer_read_proc(struct ad_observer *obs, pid_t pid,
			  struct ad_proc *out);
/* Reads the frames and tasks of `pid` whose pgen matches. Records of other
 * incarnations are skipped and counted in *stale. */
int ad_observer_read_records(struct ad_observer *obs, pid_t pid,
			     uint32_t pgen, struct ad_raw_records *out,
			     uint64_t *stale);
/* A _DYN string copied by BPF. Returns its length, or -ENOENT. */
int ad_observer_read_string(struct ad_observer *obs, pid_t pid,
			    enum ad_key_kind kind, uint64_t id, char *buf,
			    size_t buflen);
/* The BPF per-thread state of thread tid (any process), found through a
 * pidfd of the thread. -ENOENT if the thread has none or is gone. */
int ad_observer_read_thread(struct ad_observer *obs, pid_t tid,
			    struct ad_thread *out);
uint64_t ad_observer_global(struct ad_observer *obs, enum ad_global which);
uint32_t ad_observer_label_max(const struct ad_observer *obs);

#endif /* AD_OBSERVER_H */
