// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.h - the daemon's log: one line per event on stderr. Under systemd
 * (JOURNAL_STREAM set) each line carries a "<N>" syslog priority prefix,
 * which journald turns into the entry's priority; on a terminal the prefix
 * is left out and the line starts "asyncdumpd: ". Warnings and notices
 * are rate-limited (bursts of 100, then 10 a second; how many were dropped
 * is said with the next one), errors never; every line is cleaned of
 * control characters and invalid UTF-8 (ad_clean_msg). Safe to call from
 * any thread (the loop and the dump workers log).
 */
#ifndef AD_LOG_H
#define AD_LOG_H

enum ad_log_prio {
	AD_LOG_ERR = 3,
	AD_LOG_WARN = 4,
	AD_LOG_INFO = 6,
};

void ad_log(enum ad_log_prio prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Lines less urgent than prio are left out from now on (default:
 * AD_LOG_INFO, everything). */
void ad_log_set_level(enum ad_log_prio prio);

#endif /* AD_LOG_H */
