// SPDX-License-Identifier: BSD-2-Clause
/*
 * bad_note - a program with one asyncdump probe note whose argument spec
 * libbpf 1.1 cannot parse (a scaled-index memory operand, which gcc -O2
 * can emit for <sys/sdt.h> probes and the asyncdump header never does):
 * attaching it fails, and the daemon's message must say where libbpf's
 * reason is. Written out by hand, as SDT v3 notes are.
 */
__asm__(".pushsection .text\n"
	".globl bad_note_site\n"
	"bad_note_site:\n"
	"990:\tnop\n"
	"\tret\n"
	".popsection\n"
	".pushsection .note.stapsdt,\"?\",\"note\"\n"
	".balign 4\n"
	".4byte 992f-991f, 994f-993f, 3\n"
	"991:\t.asciz \"stapsdt\"\n"
	"992:\t.balign 4\n"
	"993:\t.8byte 990b\n"
	"\t.8byte _.stapsdt.base\n"
	"\t.8byte 0\n"
	"\t.asciz \"asyncdump\"\n"
	"\t.asciz \"exit\"\n"
	"\t.asciz \"-8@(%rdx,%rsi,8)\"\n"
	"994:\t.balign 4\n"
	".popsection\n"
	".ifndef _.stapsdt.base\n"
	".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"
	".weak _.stapsdt.base\n"
	".hidden _.stapsdt.base\n"
	"_.stapsdt.base: .space 1\n"
	".size _.stapsdt.base, 1\n"
	".popsection\n"
	".endif\n");

void bad_note_site(void);

int main(void)
{
	bad_note_site();
	return 0;
}
