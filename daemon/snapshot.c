/*
 * snapshot.c - freeing what a snapshot owns (snapshot.h).
 */
#include "snapshot.h"

#include <stdlib.h>

void ad_str_free(struct ad_str *s)
{
	free(s->text);
	s->text = NULL;
	s->truncated = false;
	s->unreadable = false;
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
	snap->frames = NULL;
	snap->tasks = NULL;
	snap->nframes = 0;
	snap->ntasks = 0;
}
