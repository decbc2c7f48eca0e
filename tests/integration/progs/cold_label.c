// SPDX-License-Identifier: BSD-2-Clause
/*
 * cold_label - a _DYN label in a read-only page that is not resident when
 * the probe fires: a file mapped PROT_READ and never touched before
 * ASYNCDUMP_ENTER_DYN. The observer must still copy it when the probe
 * fires (a non-sleepable BPF program could not: it cannot fault pages in)
 * and count no loss. Frame: "cold" -> <the file's text>. READY, EOF exits.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "asyncdump.h"

static const char text[] = "cold label from a file page";

int main(void)
{
	char path[] = "/tmp/cold_label.XXXXXX";
	char outer, inner, line[16];
	const char *label;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, sizeof(text)) != (ssize_t)sizeof(text))
		return 1;
	label = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (label == MAP_FAILED)
		return 1;
	close(fd);
	unlink(path);
	ASYNCDUMP_ENTER(&outer, "cold");
	ASYNCDUMP_ENTER_DYN(&inner, label); /* first access to that page */
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
