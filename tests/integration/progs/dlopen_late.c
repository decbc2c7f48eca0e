// SPDX-License-Identifier: BSD-2-Clause
/*
 * dlopen_late - a program without probes of its own that dlopen()s an
 * instrumented library when told (test_service.py, discovery).
 *
 *   dlopen_late LIB   READY; the first line read dlopen()s LIB (answers
 *                     OPENED); the second calls its late_enter(), which
 *                     enters a frame "late library frame" and returns
 *                     with it open (answers ENTERED); EOF exits 0
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	void (*enter)(void) = NULL;
	void *lib = NULL;
	char line[16];
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: dlopen_late LIB\n");
		return 2;
	}
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (n++ == 0) {
			lib = dlopen(argv[1], RTLD_NOW);
			if (!lib) {
				printf("ERROR %s\n", dlerror());
				return 1;
			}
			*(void **)&enter = dlsym(lib, "late_enter");
			printf("OPENED\n");
		} else if (enter) {
			enter();
			enter = NULL;
			printf("ENTERED\n");
		}
		fflush(stdout);
	}
	return 0;
}
