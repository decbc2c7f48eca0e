// SPDX-License-Identifier: BSD-2-Clause
/*
 * bad_note - a program with one asyncdump probe note whose argument is
 * not a 64-bit register (a scaled-index memory operand, which gcc -O2 can
 * emit for <sys/sdt.h> probes and the asyncdump header never does):
 * attaching it fails, and the daemon's message must say which probe and
 * why (the note: bad_note.h).
 */
#include "bad_note.h"

AD_BAD_NOTE_ASM(bad_note_site);

void bad_note_site(void);

int main(void)
{
	bad_note_site();
	return 0;
}
