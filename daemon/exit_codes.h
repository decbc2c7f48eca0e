/*
 * exit_codes.h - asyncdumpd's documented exit codes (README "Exit codes").
 */
#ifndef AD_EXIT_CODES_H
#define AD_EXIT_CODES_H

enum ad_exit {
	AD_EXIT_OK = 0,
	AD_EXIT_FAILURE = 1,      /* unexpected runtime failure (message says what) */
	AD_EXIT_USAGE = 2,        /* bad command line */
	AD_EXIT_NO_OBSERVER = 3,  /* --pid: no asyncdumpd --daemon is running */
	AD_EXIT_NOT_OBSERVED = 4, /* --pid: process alive but has hit no probe */
	AD_EXIT_NO_PROCESS = 5,   /* --pid: no such process */
	AD_EXIT_PERMISSION = 6,   /* not allowed (socket, BPF, /proc/N/mem) */
	AD_EXIT_ATTACH = 7,       /* --daemon: BPF load or probe attach failed */
	AD_EXIT_KERNEL = 8,       /* --daemon: the kernel lacks a feature it needs */
};

#endif /* AD_EXIT_CODES_H */
