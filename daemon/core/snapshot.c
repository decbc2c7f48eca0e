// SPDX-License-Identifier: BSD-2-Clause
/*
 * snapshot.c - freeing what a snapshot owns, its losses by name, and
 * merging a running thread's state into the task it runs (snapshot.h).
 */
#include "core/snapshot.h"

#include <stdlib.h>

/* t, if it is before *since by at most the slack, becomes *since. */
static void earlier(uint64_t *since, uint64_t t)
{
	if (t && t < *since && *since - t <= AD_FIRST_PROBE_SLACK_NS)
		*since = t;
}

void ad_snapshot_settle_since(struct ad_snapshot *s)
{
	uint64_t since = s->proc.observed_since_ns;

	if (!since)
		return;
	for (size_t i = 0; i < s->nframes; i++)
		earlier(&since, s->frames[i].rec.enter_ns);
	for (size_t i = 0; i < s->ntasks; i++)
		earlier(&since, s->tasks[i].rec.spawn_ns);
	s->proc.observed_since_ns = since;
}

enum ad_coverage ad_coverage(const struct ad_snapshot *s)
{
	if (s->proc.flags & AD_PF_FORKED)
		return AD_COVERAGE_PARTIAL;
	if (!s->started_ns || !s->attached_ns)
		return AD_COVERAGE_UNKNOWN;
	return s->started_ns > s->attached_ns ? AD_COVERAGE_WHOLE
					      : AD_COVERAGE_PARTIAL;
}

const char *ad_coverage_name(enum ad_coverage c)
{
	switch (c) {
	case AD_COVERAGE_WHOLE:
		return "whole";
	case AD_COVERAGE_PARTIAL:
		return "partial";
	default:
		return "unknown";
	}
}

void ad_snapshot_losses(const struct ad_snapshot *s,
			struct ad_loss out[AD_LOSS_COUNT])
{
	static const char *const bpf[AD_LOST_COUNT] = {AD_LOST_NAMES};
	static const char *const dump[AD_DUMP_LOST_COUNT] = {
		AD_DUMP_LOST_NAMES};
	size_t n = 0;

	for (size_t i = 0; i < AD_LOST_COUNT; i++)
		out[n++] = (struct ad_loss){bpf[i], s->proc.lost[i]};
	for (size_t i = 0; i < AD_DUMP_LOST_COUNT; i++)
		out[n++] = (struct ad_loss){dump[i], s->dump_lost[i]};
	out[n] = (struct ad_loss){"procs_full", s->procs_full};
}

void ad_str_free(struct ad_str *s)
{
	if (!s->borrowed)
		free(s->text);
	s->text = NULL;
	s->truncated = false;
	s->unreadable = false;
	s->borrowed = false;
}

void ad_snapshot_free(struct ad_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nframes; i++) {
		ad_str_free(&snap->frames[i].label);
		ad_str_free(&snap->frames[i].file);
		ad_str_free(&snap->frames[i].function);
	}
	for (i = 0; i < snap->ntasks; i++) {
		ad_str_free(&snap->tasks[i].name);
		ad_str_free(&snap->tasks[i].file);
		ad_str_free(&snap->tasks[i].function);
	}
	free(snap->frames);
	free(snap->tasks);
	ad_strpool_free(&snap->pool);
	snap->frames = NULL;
	snap->tasks = NULL;
	snap->nframes = 0;
	snap->ntasks = 0;
}

bool ad_task_apply_thread(uint64_t id, struct ad_task *rec,
			  const struct ad_thread *th, uint32_t pgen)
{
	if (!rec->tid || th->pgen != pgen || rec->pgen != pgen)
		return false;
	if (ad_task_is_thread(rec)) {
		/* A thread's own task: always run by that thread. */
		if (id != rec->tid || th->own_gen != rec->spawn_ns)
			return false;
		rec->top = th->own_top;
		rec->top_gen = th->own_top_gen;
		return true;
	}
	if (th->task != id || th->task_gen != rec->spawn_ns)
		return false;
	rec->top = th->top;
	rec->top_gen = th->top_gen;
	/* Still waiting for another thread's poll to hand over (the
	 * record's "Overlapping polls"): then the innermost frame is that
	 * hand-over, if it has come. */
	rec->wait_seq = th->pending;
	return true;
}
