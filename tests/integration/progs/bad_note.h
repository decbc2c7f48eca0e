// SPDX-License-Identifier: BSD-2-Clause
/*
 * bad_note.h - an asyncdump probe note the header never writes: probe
 * "exit" at the function `sym` (a nop, then ret), whose one argument is a
 * scaled-index memory operand, not a 64-bit register (gcc -O2 can emit
 * such operands for <sys/sdt.h> probes). Written out by hand, as SDT v3
 * notes are. Used by bad_note.c (the daemon refuses the program) and by
 * tests/io/test_elf_notes.c (the reader counts it unusable).
 */
#ifndef AD_BAD_NOTE_H
#define AD_BAD_NOTE_H

#define AD_BAD_NOTE_ASM(sym)                                                   \
	__asm__(".pushsection .text\n"                                         \
		".globl " #sym "\n" #sym ":\n"                                 \
		"990:\tnop\n"                                                  \
		"\tret\n"                                                      \
		".popsection\n"                                                \
		".pushsection .note.stapsdt,\"?\",\"note\"\n"                  \
		".balign 4\n"                                                  \
		".4byte 992f-991f, 994f-993f, 3\n"                             \
		"991:\t.asciz \"stapsdt\"\n"                                   \
		"992:\t.balign 4\n"                                            \
		"993:\t.8byte 990b\n"                                          \
		"\t.8byte _.stapsdt.base\n"                                    \
		"\t.8byte 0\n"                                                 \
		"\t.asciz \"asyncdump\"\n"                                     \
		"\t.asciz \"exit\"\n"                                          \
		"\t.asciz \"-8@(%rdx,%rsi,8)\"\n"                              \
		"994:\t.balign 4\n"                                            \
		".popsection\n"                                                \
		".ifndef _.stapsdt.base\n"                                     \
		".pushsection .stapsdt.base,\"aG\",\"progbits\","              \
		".stapsdt.base,comdat\n"                                       \
		".weak _.stapsdt.base\n"                                       \
		".hidden _.stapsdt.base\n"                                     \
		"_.stapsdt.base: .space 1\n"                                   \
		".size _.stapsdt.base, 1\n"                                    \
		".popsection\n"                                                \
		".endif\n")

#endif /* AD_BAD_NOTE_H */
