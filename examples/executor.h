// SPDX-License-Identifier: BSD-2-Clause
/*
 * executor.h - a tiny single-threaded executor for the asyncdump examples.
 *
 * A task is a state machine: its poll function is called with the task and
 * returns EX_DONE or EX_PENDING. A pending task is polled again once it is
 * woken (ex_wake) or, if it set a deadline with ex_sleep_until, once that
 * time has passed. Every poll is bracketed by ASYNCDUMP_POLL_BEGIN/END, the
 * spawn is announced with ASYNCDUMP_TASK_SPAWN_DYN and the end of a task
 * with ASYNCDUMP_TASK_EXIT, so frames a task enters during a poll and
 * leaves open while it is pending show up under that task in a dump.
 *
 * Examples also use ex_ready(): print "READY <pid>" (plus optional extra
 * words) on stdout, flushed, then block until a line arrives on stdin; most
 * drive their tasks with ex_step_on_stdin() or ex_main_one(), below.
 */
#ifndef EX_EXECUTOR_H
#define EX_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ex_poll { EX_PENDING = 0, EX_DONE = 1 };

struct ex_task;
typedef enum ex_poll (*ex_poll_fn)(struct ex_task *task);

struct ex_task {
	char name[48]; /* copied from ex_spawn's argument */
	ex_poll_fn poll;
	void *data; /* the state machine's own state */
	int state;  /* free for the poll function */
	/* executor bookkeeping */
	struct ex_task *next; /* run-queue link */
	bool queued;
	bool done;
	uint64_t wake_at_ns; /* 0 = no deadline */
};

struct ex_executor {
	struct ex_task *head, *tail; /* ready queue */
	struct ex_task **all;	     /* every live task (for deadlines) */
	unsigned nall, capall;
	unsigned polls;
};

void ex_init(struct ex_executor *ex);
void ex_fini(struct ex_executor *ex);

/* Announce (TASK_SPAWN_DYN) and queue a task. parent/parent_frame may be 0.
 * The name is copied into the task (which owns it) and the probe is given
 * the copy. */
void ex_spawn(struct ex_executor *ex, struct ex_task *task, const char *name,
	      ex_poll_fn poll, void *data, struct ex_task *parent,
	      const void *parent_frame);
/* Queue without announcing: the caller emitted its own ASYNCDUMP_TASK_SPAWN. */
void ex_spawn_quiet(struct ex_executor *ex, struct ex_task *task,
		    const char *name, ex_poll_fn poll, void *data);

void ex_wake(struct ex_executor *ex, struct ex_task *task);
void ex_sleep_until(struct ex_task *task, uint64_t deadline_ns);

/* Poll queued tasks until none is ready. Returns the number of polls. */
unsigned ex_run_until_idle(struct ex_executor *ex);
/* Wait for the earliest deadline (at most max_wait_ns), wake what is due,
 * run until idle. Returns false when no task is left. */
bool ex_run_timers(struct ex_executor *ex, uint64_t max_wait_ns);

uint64_t ex_now_ns(void);

/* Print "READY <pid>[ extra]" and wait for a line on stdin. Returns false
 * on EOF. */
bool ex_ready(const char *extra);

/* The examples' driver, shared so that every example talks to its
 * integration test the same way: run the spawned tasks until they wait;
 * then, while a task is left, print READY, wait for a line on stdin, wake
 * every live task (in spawn order) and run until idle again. So each line
 * advances every task by one step. EOF counts as a last line: one more
 * step, then it returns (a test that closes stdin lets a one-step example
 * finish its task and exit). */
void ex_step_on_stdin(struct ex_executor *ex);

/* A whole main() for an example with one top-level task: ex_init, spawn
 * `name`, ex_step_on_stdin, ex_fini. Returns the exit status, 0. */
int ex_main_one(const char *name, ex_poll_fn poll, void *data);

#endif /* EX_EXECUTOR_H */
