// SPDX-License-Identifier: BSD-2-Clause
/*
 * refused.c - see refused.h.
 *
 * The refused map is an LRU map (an insert never fails), cleared by BPF
 * when a process exits or execs; an entry may still outlive its process
 * (a delete that did not happen, a pid reused before it did), so an entry
 * is believed only if its start_boottime is the start time /proc shows
 * for the pid now (core/procstat.h).
 */
#include "observer/refused.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asyncdump.skel.h"
#include "core/clock.h"
#include "core/errmsg.h"
#include "core/format.h"
#include "core/procstat.h"
#include "observer/store.h"

/* /proc/PID/stat, NUL-terminated; 0 or -errno. */
static int read_stat(pid_t pid, char *buf, size_t buflen)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, buflen - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	buf[n] = '\0';
	return 0;
}

/* The command between the first '(' and the last ')' of a stat line. */
static void stat_comm(const char *stat, char *comm, size_t len)
{
	const char *a = strchr(stat, '('), *b = strrchr(stat, ')');

	if (!a || !b || b < a || len == 0) {
		snprintf(comm, len, "?");
		return;
	}
	snprintf(comm, len, "%.*s", (int)(b - a - 1), a + 1);
}

/* The refusal of pid if it is this process's (0), else -ENOENT; its stat
 * line in stat. */
static int refused_now(struct ad_observer *obs, pid_t pid,
		       struct ad_refused *out, char *stat, size_t statlen)
{
	uint32_t key = (uint32_t)pid;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks;

	if (bpf_map_lookup_elem(bpf_map__fd(obs->skel->maps.refused), &key,
				out))
		return -ENOENT;
	if (read_stat(pid, stat, statlen) ||
	    ad_proc_stat_starttime(stat, &ticks) ||
	    !ad_proc_same_start(out->start_boottime, ticks,
				hz > 0 ? (uint64_t)hz : 0))
		return -ENOENT;
	return 0;
}

int ad_observer_refused_err(struct ad_observer *obs, pid_t pid, char *err,
			    size_t errlen)
{
	char stat[1024], comm[64], when[AD_TIMESTAMP_MAX], ago[AD_DURATION_MAX];
	struct ad_refused r;
	uint64_t now = ad_mono_ns();
	int64_t mono_to_wall = ad_clock_ns(CLOCK_REALTIME) - (int64_t)now;

	if (refused_now(obs, pid, &r, stat, sizeof(stat)))
		return -ENOENT;
	stat_comm(stat, comm, sizeof(comm));
	ad_fmt_timestamp(when, mono_to_wall + (int64_t)r.first_ns);
	ad_fmt_duration(ago, ad_age(now, r.first_ns));
	if (r.reason != AD_REFUSED_PROCS_FULL) {
		ad_set_err(err, errlen,
			   "process %d (%s) hit asyncdump probes but is not "
			   "observed (reason %u, unknown to this asyncdumpd); "
			   "%llu of its probe events dropped since %s (%s ago)",
			   (int)pid, comm, r.reason,
			   (unsigned long long)r.dropped, when, ago);
		return -EUSERS;
	}
	ad_set_err(err, errlen,
		   "process %d (%s) hit asyncdump probes but is not observed: "
		   "the observer's process table is full (--max-procs %u, "
		   "all taken by other live processes); %llu of its probe "
		   "events dropped since %s (%s ago): restart asyncdumpd "
		   "--daemon with a larger --max-procs",
		   (int)pid, comm, ad_observer_max_procs(obs),
		   (unsigned long long)r.dropped, when, ago);
	return -EUSERS;
}

uint32_t ad_observer_max_procs(const struct ad_observer *obs)
{
	return bpf_map__max_entries(obs->skel->maps.procs);
}
