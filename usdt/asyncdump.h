// SPDX-License-Identifier: BSD-2-Clause
/*
 * asyncdump.h - mark async tasks and frames so `asyncdumpd` can show, from
 * outside the process, what every task is waiting on.
 *
 * Single header, no dependency (not even <sys/sdt.h>). Include it anywhere;
 * it is clean C99, C11 and C++17 under gcc and clang with
 * -Wall -Wextra -Wpedantic.
 *
 * WHAT IT RECORDS
 *   A *task* is a unit of asynchronous work (a coroutine, a future, a
 *   connection state machine). A *frame* is something a task is inside of
 *   and may be suspended in ("waiting for lock X", "reading from peer Y").
 *   Frames nest; a task's frames form a tree. Tasks are optional: a thread
 *   that never calls ASYNCDUMP_POLL_BEGIN is its own task.
 *
 *   Ids (`task`, `frame`, `parent`) are 64-bit values unique within the
 *   process while live; the address of the task or frame object is the
 *   usual choice. Any value is an id, tagged pointers with the top bits
 *   set included, except 0 (none) and, as a frame id, ~0
 *   (ASYNCDUMP_PARENT_INNERMOST); a thread's own task never takes a task
 *   id's place, whatever its bits. Ids may be reused after exit: the
 *   observer never attaches a frame under a later frame that happens to
 *   reuse its parent's id.
 *
 *     ASYNCDUMP_TASK_SPAWN(task, parent_task, parent_frame, name)
 *         name: string literal. parent_task/parent_frame: 0 for none.
 *     ASYNCDUMP_TASK_SPAWN_DYN(task, parent_task, parent_frame, name)
 *         name: runtime string, copied when the probe fires.
 *     ASYNCDUMP_TASK_EXIT(task)
 *         the task and every frame still in it vanish from dumps.
 *     ASYNCDUMP_POLL_BEGIN(task) / ASYNCDUMP_POLL_END(task)
 *         the calling thread runs `task` between the two. Another thread
 *         may begin polling it before this one's POLL_END (a waker that
 *         re-queues the task from inside the poll): the observer takes
 *         the innermost frame over when the first poll ends, and marks
 *         what it cannot know meanwhile uncertain.
 *     ASYNCDUMP_ENTER(frame, label)        label: string literal
 *     ASYNCDUMP_ENTER_DYN(frame, label)    label: runtime string, copied
 *         task = the thread's current task; parent = that task's innermost
 *         frame (opened with ASYNCDUMP_ENTER/_DYN/_F/SCOPE and not yet
 *         exited); the new frame becomes the innermost one.
 *     ASYNCDUMP_ENTER_F(frame, label, flags)
 *         ASYNCDUMP_ENTER with flags: same task, parent and innermost-frame
 *         rule, so a LONG_RUNNING or VERBOSE frame can be the implicit
 *         parent of the next ASYNCDUMP_ENTER. label is a string literal
 *         (recorded by address, read at dump time) unless flags contains
 *         ASYNCDUMP_F_DYN, in which case it is copied. It is
 *         ASYNCDUMP_ENTER_AT(0, frame, ASYNCDUMP_PARENT_INNERMOST, label,
 *         flags): the same probe, no new one.
 *     ASYNCDUMP_ENTER_AT(task, frame, parent, label, flags)
 *         explicit task (0 = the thread's current task) and parent
 *         (0 = top level of the task), for join/select siblings and
 *         callback-style code. Does not change the innermost frame used by
 *         ASYNCDUMP_ENTER, except with parent ASYNCDUMP_PARENT_INNERMOST
 *         (~0): then parent = that task's innermost frame and the new frame
 *         becomes the innermost one, as with ASYNCDUMP_ENTER. label is a
 *         string literal unless flags contains ASYNCDUMP_F_DYN, in which
 *         case it is copied.
 *     ASYNCDUMP_EXIT(frame)
 *         if the frame was its task's innermost one, its parent becomes the
 *         innermost frame again; if that parent has exited already (frames
 *         exited out of order), the task has none and the next
 *         ASYNCDUMP_ENTER opens at its top level.
 *     ASYNCDUMP_MOVE(frame, new_parent)
 *         re-parent a live frame and its subtree, possibly into another
 *         task; new_parent 0 detaches it (shown after its task's tree).
 *     ASYNCDUMP_SCOPE(label)
 *         enter now, exit when the enclosing block ends (cleanup attribute
 *         in C, a guard object in C++). The frame id is the guard's address.
 *     ASYNCDUMP_SCOPE_DYN(label)           label: runtime string, copied
 *     ASYNCDUMP_SCOPE_F(label, flags)
 *         the same with a runtime label, or with flags (as ENTER_F: a
 *         literal label unless flags contains ASYNCDUMP_F_DYN).
 *
 *   CALL SITES OF WRAPPERS. Every macro above records where it is written.
 *   A wrapper (a libuv helper, a C++ awaitable) should record its
 *   caller's file, line and function instead; these take the site:
 *
 *     ASYNCDUMP_HERE()
 *         a `const struct asyncdump_site *` naming the line it is written
 *         on and its function (a static record; GNU statement expression,
 *         so inside a function). Pass it from a wrapper macro to the
 *         function it wraps.
 *     ASYNCDUMP_ENTER_SITE(site, frame, label, flags)
 *         ASYNCDUMP_ENTER_F at the given site.
 *     ASYNCDUMP_ENTER_AT_SITE(site, task, frame, parent, label, flags)
 *         ASYNCDUMP_ENTER_AT at the given site.
 *     ASYNCDUMP_TASK_SPAWN_SITE(site, task, parent_task, parent_frame, name)
 *         ASYNCDUMP_TASK_SPAWN_DYN at the given site (name is copied).
 *
 *   site is a site record's address, or, with bit 0 set
 *   (ASYNCDUMP_SITE_SRCLOC), the address of a static source location
 *   record {const char *file, *function; unsigned line, column}: the
 *   record GCC's and Clang's __builtin_source_location() give, behind
 *   C++20's std::source_location (usdt/asyncdump.hpp passes those).
 *     ASYNCDUMP_ACTIVE()
 *         nonzero while an observer is attached: guard expensive label
 *         formatting with it.
 *
 *   Flags: ASYNCDUMP_F_DYN (label is a runtime string), ASYNCDUMP_F_VERBOSE
 *   (shown only with `asyncdumpd --verbose`), ASYNCDUMP_F_LONG_RUNNING
 *   (never marked stuck).
 *
 * WHAT IT COSTS
 *   Each macro records its call site (file, line, function, and a literal
 *   label or name) in a static `struct asyncdump_site` in read-only data;
 *   the probe passes only that struct's address and the ids, in registers.
 *   Not observed, a probe is a load of this object's semaphore and a branch
 *   not taken (the probe site below runs only while it is nonzero). Literal
 *   labels are read by the observer at dump time; only _DYN strings are
 *   copied when the probe fires (up to the observer's configured length,
 *   truncation shown).
 *
 * WHY THE PROBE SITE LOOKS THE WAY IT DOES (x86-64)
 *   Kernels with optimized uprobes turn a 5-byte nop probe into a CALL to a
 *   trampoline after its first hit (about half the cost of the int3 path a
 *   1-byte nop takes). That CALL pushes its return address at -8(%rsp),
 *   which is inside the 128-byte red zone a leaf function may be using for
 *   locals. So the nop is bracketed by `lea -128(%rsp),%rsp` and
 *   `lea 128(%rsp),%rsp` (lea leaves the flags alone) and every argument is
 *   a register operand, never an %rsp-relative one. Register-only operands
 *   are also the only kind libbpf 1.1 parses reliably. Other architectures
 *   get a plain nop. In a debugger, a site is three instructions; between
 *   the two `lea`s %rsp sits 128 bytes below where the function keeps it.
 *   The unwind tables do not describe that move, so a backtrace from a
 *   breakpoint on those two instructions may be wrong in a function
 *   without a frame pointer; anywhere else it is unaffected.
 *
 * WHERE POINTERS ARE NOT 64-BIT
 *   The probes pass 64-bit registers and the notes hold 64-bit addresses,
 *   so the header stops the build with an #error under -m32 (and any
 *   ILP32 target); define ASYNCDUMP_DISABLE there to compile every macro
 *   to nothing. In C++, ids are integers or pointers (0 for none, not
 *   nullptr); no macro casts at the user's line (clean under
 *   -Wold-style-cast, -Wuseless-cast, -Wzero-as-null-pointer-constant).
 *
 * ELF NOTES
 *   Probes are standard SystemTap SDT v3 notes (.note.stapsdt, provider
 *   "asyncdump", every argument `8@%reg`), sharing the comdat .stapsdt.base
 *   section with <sys/sdt.h> so both kinds coexist in one binary. All notes
 *   of one executable or shared object reference one semaphore,
 *   `asyncdump_semaphore` (hidden, so each object has its own), which the
 *   kernel increments while probes are attached: that is ASYNCDUMP_ACTIVE().
 *
 * Define ASYNCDUMP_DISABLE before including to compile every macro to
 * nothing (arguments are still type-checked but not evaluated at run time).
 */
#ifndef ASYNCDUMP_H
#define ASYNCDUMP_H

#define ASYNCDUMP_VERSION_MAJOR 0
#define ASYNCDUMP_VERSION_MINOR 1

/* ------------------------------------------------------------------ */
/* ABI shared with the observer (include/asyncdump_abi.h includes this  */
/* part alone by defining ASYNCDUMP_ABI_ONLY).                          */
/* ------------------------------------------------------------------ */

#define ASYNCDUMP_PROVIDER "asyncdump"

#define ASYNCDUMP_F_DYN 0x1u
#define ASYNCDUMP_F_VERBOSE 0x2u
#define ASYNCDUMP_F_LONG_RUNNING 0x4u
#define ASYNCDUMP_F_USER_MASK 0x7u

/* ASYNCDUMP_ENTER_AT's parent meaning "the task's innermost frame, and make
 * the new frame the innermost one" (what ASYNCDUMP_ENTER_F passes). All
 * ones is reserved: it is no user-space address, so no object's address is
 * taken from the frame ids; do not use it as an id yourself. */
#define ASYNCDUMP_PARENT_INNERMOST (~0ULL)

/* Bit 0 of a site address given to a _SITE macro: the address (bit
 * cleared) is that of a source location record laid out as
 * {const char *file; const char *function; unsigned line, column;} (the
 * static record behind std::source_location), not of a struct
 * asyncdump_site. Both are 8-byte aligned, so bit 0 is free. */
#define ASYNCDUMP_SITE_SRCLOC 1ULL

/* One per macro call site, in the observed program's read-only data; the
 * observer reads it from the process's memory when it dumps. On LP64 it is
 * laid out as struct ad_site_raw in include/asyncdump_abi.h. */
struct asyncdump_site {
	const char *file;
	const char *function;
	/* literal label or task name; 0 when given at run time */
	const char *label;
	unsigned int line;
	unsigned int flags;
};

/* The probe machinery below is laid out by hand (asm templates, one macro
 * per line where it fits); clang-format leaves it alone. */
// clang-format off
#ifndef ASYNCDUMP_ABI_ONLY

/* The probes pass 64-bit registers and their notes hold 64-bit addresses:
 * where pointers are narrower (-m32) they cannot work, so the header
 * refuses rather than emit notes no observer could read. */
#if !defined(ASYNCDUMP_DISABLE) && \
	(!defined(__SIZEOF_POINTER__) || __SIZEOF_POINTER__ != 8)
#error "asyncdump.h: the probes need 64-bit pointers (x86-64, arm64); define ASYNCDUMP_DISABLE to compile every macro to nothing"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Incremented by the kernel for every attached probe of this object.
 * Weak so every translation unit may define it; hidden so each executable
 * and shared object has its own. */
extern volatile unsigned short asyncdump_semaphore;
__attribute__((weak, used, visibility("hidden"), section(".probes")))
volatile unsigned short asyncdump_semaphore;

#ifdef __cplusplus
}
#endif

#define ASYNCDUMP_CAT2_(a, b) a##b
#define ASYNCDUMP_CAT_(a, b) ASYNCDUMP_CAT2_(a, b)
#ifdef __COUNTER__
#define ASYNCDUMP_UNIQ_(p) ASYNCDUMP_CAT_(p, __COUNTER__)
#else
#define ASYNCDUMP_UNIQ_(p) ASYNCDUMP_CAT_(p, __LINE__)
#endif

/* An id, address or flags as the 64-bit probe argument. In C++ without a
 * cast (no -Wold-style-cast or -Wuseless-cast at the user's line): an
 * integer converts, a pointer is reinterpreted. */
#ifdef __cplusplus
static inline unsigned long long asyncdump_u64_(unsigned long long v) noexcept
{
	return v;
}
template <typename T>
static inline unsigned long long asyncdump_u64_(T *p) noexcept
{
	return reinterpret_cast<__UINTPTR_TYPE__>(p);
}
#define ASYNCDUMP_U64_(x) asyncdump_u64_(x)
#define ASYNCDUMP_NOLABEL_ nullptr
#else
#define ASYNCDUMP_U64_(x) ((unsigned long long)(__UINTPTR_TYPE__)(x))
#define ASYNCDUMP_NOLABEL_ ((const char *)0)
#endif

#if defined(ASYNCDUMP_DISABLE)

#define ASYNCDUMP_ACTIVE() 0
/* Arguments are type-checked but never evaluated at run time. Not sizeof:
 * an argument inside sizeof does not count as a use, so a static function
 * called only to build a label would warn (clang -Wunneeded-internal-
 * declaration) under -Werror. One conditional per macro, the arguments
 * joined inside it: gcc warns (-Wunused-value) about a comma between two
 * such conditionals. Each argument is cast to void once, never a void
 * expression again (g++ -Wuseless-cast). */
#define ASYNCDUMP_NOP_(args) (0 ? (args) : (void)0)
#define ASYNCDUMP_V_(a) (void)(a)
#define ASYNCDUMP_TASK_SPAWN(t, pt, pf, name) \
	ASYNCDUMP_NOP_((ASYNCDUMP_V_(t), ASYNCDUMP_V_(pt), ASYNCDUMP_V_(pf), ASYNCDUMP_V_("" name)))
#define ASYNCDUMP_TASK_SPAWN_DYN(t, pt, pf, name) \
	ASYNCDUMP_NOP_((ASYNCDUMP_V_(t), ASYNCDUMP_V_(pt), ASYNCDUMP_V_(pf), ASYNCDUMP_V_(name)))
#define ASYNCDUMP_TASK_EXIT(t) ASYNCDUMP_NOP_(ASYNCDUMP_V_(t))
#define ASYNCDUMP_POLL_BEGIN(t) ASYNCDUMP_NOP_(ASYNCDUMP_V_(t))
#define ASYNCDUMP_POLL_END(t) ASYNCDUMP_NOP_(ASYNCDUMP_V_(t))
#define ASYNCDUMP_ENTER(f, label) ASYNCDUMP_NOP_((ASYNCDUMP_V_(f), ASYNCDUMP_V_("" label)))
#define ASYNCDUMP_ENTER_DYN(f, label) ASYNCDUMP_NOP_((ASYNCDUMP_V_(f), ASYNCDUMP_V_(label)))
#define ASYNCDUMP_ENTER_AT(t, f, p, label, flags) \
	ASYNCDUMP_NOP_((ASYNCDUMP_V_(t), ASYNCDUMP_V_(f), ASYNCDUMP_V_(p), ASYNCDUMP_V_(label), \
			ASYNCDUMP_V_(flags)))
#define ASYNCDUMP_ENTER_F(f, label, flags) \
	ASYNCDUMP_NOP_((ASYNCDUMP_V_(f), ASYNCDUMP_V_(label), ASYNCDUMP_V_(flags)))
#define ASYNCDUMP_EXIT(f) ASYNCDUMP_NOP_(ASYNCDUMP_V_(f))
#define ASYNCDUMP_MOVE(f, np) ASYNCDUMP_NOP_((ASYNCDUMP_V_(f), ASYNCDUMP_V_(np)))
#define ASYNCDUMP_SCOPE(label) ASYNCDUMP_NOP_(ASYNCDUMP_V_("" label))
#define ASYNCDUMP_SCOPE_DYN(label) ASYNCDUMP_NOP_(ASYNCDUMP_V_(label))
#define ASYNCDUMP_SCOPE_F(label, flags) ASYNCDUMP_NOP_((ASYNCDUMP_V_(label), ASYNCDUMP_V_(flags)))
#ifdef __cplusplus
#define ASYNCDUMP_HERE() static_cast<const struct asyncdump_site *>(nullptr)
#else
#define ASYNCDUMP_HERE() ((const struct asyncdump_site *)0)
#endif
#define ASYNCDUMP_ENTER_SITE(s, f, label, flags) \
	ASYNCDUMP_NOP_((ASYNCDUMP_V_(s), ASYNCDUMP_V_(f), ASYNCDUMP_V_(label), ASYNCDUMP_V_(flags)))
#define ASYNCDUMP_ENTER_AT_SITE(s, t, f, p, label, flags) \
	ASYNCDUMP_NOP_((ASYNCDUMP_V_(s), ASYNCDUMP_V_(t), ASYNCDUMP_V_(f), ASYNCDUMP_V_(p), \
			ASYNCDUMP_V_(label), ASYNCDUMP_V_(flags)))
#define ASYNCDUMP_TASK_SPAWN_SITE(s, t, pt, pf, name) \
	ASYNCDUMP_NOP_((ASYNCDUMP_V_(s), ASYNCDUMP_V_(t), ASYNCDUMP_V_(pt), ASYNCDUMP_V_(pf), \
			ASYNCDUMP_V_(name)))

#else /* probes enabled */

#define ASYNCDUMP_ACTIVE() (__builtin_expect(asyncdump_semaphore != 0, 0))

/* The probe instruction. %= is unique per asm instance, so duplicated or
 * inlined copies of a site each get their own labels; .L keeps them out of
 * the symbol table (else debuggers and profilers name the code after a
 * probe site `asyncdump_N` instead of its function). */
#if defined(__x86_64__)
#define ASYNCDUMP_SITE_INSN_(lbl)                                              \
	"lea -128(%%rsp), %%rsp\n"                                             \
	lbl ": .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"                           \
	"lea 128(%%rsp), %%rsp\n"
#else
#define ASYNCDUMP_SITE_INSN_(lbl) lbl ": nop\n"
#endif

/* A SystemTap SDT v3 note: sizes, type 3, "stapsdt", then probe address,
 * .stapsdt.base address, semaphore address, provider, name, arguments. The
 * "?" flag puts the note in the section group of the code around it, so a
 * discarded inline/comdat copy takes its note with it. */
#define ASYNCDUMP_NOTE_(lbl, name, args)                                       \
	".pushsection .note.stapsdt,\"?\",\"note\"\n"                          \
	".balign 4\n"                                                          \
	".4byte 2f-1f, 4f-3f, 3\n"                                             \
	"1: .asciz \"stapsdt\"\n"                                              \
	"2: .balign 4\n"                                                       \
	"3: .8byte " lbl "\n"                                                  \
	".8byte _.stapsdt.base\n"                                              \
	".8byte asyncdump_semaphore\n"                                         \
	".asciz \"" ASYNCDUMP_PROVIDER "\"\n"                                  \
	".asciz \"" #name "\"\n"                                               \
	".asciz \"" args "\"\n"                                                \
	"4: .balign 4\n"                                                       \
	".popsection\n"                                                        \
	".ifndef _.stapsdt.base\n"                                             \
	".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
	".weak _.stapsdt.base\n"                                               \
	".hidden _.stapsdt.base\n"                                             \
	"_.stapsdt.base: .space 1\n"                                           \
	".size _.stapsdt.base, 1\n"                                            \
	".popsection\n"                                                        \
	".endif\n"

#define ASYNCDUMP_ASM_(name, args) \
	ASYNCDUMP_SITE_INSN_(".Lasyncdump_%=") ASYNCDUMP_NOTE_(".Lasyncdump_%=", name, args)

/* Every operand is a 64-bit register ("r"): never memory, never %rsp.
 *
 * The probe site runs only while the object's semaphore is nonzero (an
 * observer is attached): unobserved, a probe costs one load and one branch
 * not taken, instead of the site's two dependent writes of %rsp. The
 * arguments are evaluated first, either way, so their side effects never
 * depend on whether anyone is watching. */
#define ASYNCDUMP_IF_ACTIVE_(stmt)                                             \
	do {                                                                   \
		if (ASYNCDUMP_ACTIVE())                                        \
			stmt;                                                  \
	} while (0)
#define ASYNCDUMP_PROBE1_(name, a0)                                            \
	do {                                                                   \
		unsigned long long asyncdump_a0_ = (a0);                       \
		ASYNCDUMP_IF_ACTIVE_(__asm__ __volatile__(                     \
			ASYNCDUMP_ASM_(name, "8@%0") : : "r"(asyncdump_a0_))); \
	} while (0)
#define ASYNCDUMP_PROBE2_(name, a0, a1)                                        \
	do {                                                                   \
		unsigned long long asyncdump_a0_ = (a0), asyncdump_a1_ = (a1); \
		ASYNCDUMP_IF_ACTIVE_(__asm__ __volatile__(                     \
			ASYNCDUMP_ASM_(name, "8@%0 8@%1")                      \
			: : "r"(asyncdump_a0_), "r"(asyncdump_a1_)));          \
	} while (0)
#define ASYNCDUMP_PROBE4_(name, a0, a1, a2, a3)                                \
	do {                                                                   \
		unsigned long long asyncdump_a0_ = (a0), asyncdump_a1_ = (a1), \
				   asyncdump_a2_ = (a2), asyncdump_a3_ = (a3); \
		ASYNCDUMP_IF_ACTIVE_(__asm__ __volatile__(                     \
			ASYNCDUMP_ASM_(name, "8@%0 8@%1 8@%2 8@%3")            \
			: : "r"(asyncdump_a0_), "r"(asyncdump_a1_),            \
			    "r"(asyncdump_a2_), "r"(asyncdump_a3_)));          \
	} while (0)
/* Probes whose string argument is copied when they fire clobber "memory",
 * so the compiler finishes writing the string before the probe. */
#define ASYNCDUMP_PROBE3M_(name, a0, a1, a2)                                   \
	do {                                                                   \
		unsigned long long asyncdump_a0_ = (a0), asyncdump_a1_ = (a1), \
				   asyncdump_a2_ = (a2);                       \
		ASYNCDUMP_IF_ACTIVE_(__asm__ __volatile__(                     \
			ASYNCDUMP_ASM_(name, "8@%0 8@%1 8@%2")                 \
			: : "r"(asyncdump_a0_), "r"(asyncdump_a1_),            \
			    "r"(asyncdump_a2_) : "memory"));                   \
	} while (0)
#define ASYNCDUMP_PROBE5M_(name, a0, a1, a2, a3, a4)                           \
	do {                                                                   \
		unsigned long long asyncdump_a0_ = (a0), asyncdump_a1_ = (a1), \
				   asyncdump_a2_ = (a2), asyncdump_a3_ = (a3), \
				   asyncdump_a4_ = (a4);                       \
		ASYNCDUMP_IF_ACTIVE_(__asm__ __volatile__(                     \
			ASYNCDUMP_ASM_(name, "8@%0 8@%1 8@%2 8@%3 8@%4")       \
			: : "r"(asyncdump_a0_), "r"(asyncdump_a1_),            \
			    "r"(asyncdump_a2_), "r"(asyncdump_a3_),            \
			    "r"(asyncdump_a4_) : "memory"));                   \
	} while (0)
#define ASYNCDUMP_PROBE6M_(name, a0, a1, a2, a3, a4, a5)                       \
	do {                                                                   \
		unsigned long long asyncdump_a0_ = (a0), asyncdump_a1_ = (a1), \
				   asyncdump_a2_ = (a2), asyncdump_a3_ = (a3), \
				   asyncdump_a4_ = (a4), asyncdump_a5_ = (a5); \
		ASYNCDUMP_IF_ACTIVE_(__asm__ __volatile__(                     \
			ASYNCDUMP_ASM_(name,                                   \
				       "8@%0 8@%1 8@%2 8@%3 8@%4 8@%5")        \
			: : "r"(asyncdump_a0_), "r"(asyncdump_a1_),            \
			    "r"(asyncdump_a2_), "r"(asyncdump_a3_),            \
			    "r"(asyncdump_a4_), "r"(asyncdump_a5_)             \
			: "memory"));                                          \
	} while (0)

/* A static site record; `label` must be a string literal or
 * ASYNCDUMP_NOLABEL_. */
#define ASYNCDUMP_SITE_(var, label, flags)                                     \
	static const struct asyncdump_site var = {__FILE__, __func__, label,   \
						  __LINE__, flags}

#define ASYNCDUMP_TASK_SPAWN(task, parent_task, parent_frame, name)           \
	do {                                                                   \
		ASYNCDUMP_SITE_(asyncdump_site_, "" name "", 0);               \
		ASYNCDUMP_PROBE4_(task_spawn, ASYNCDUMP_U64_(task),            \
				  ASYNCDUMP_U64_(parent_task),                 \
				  ASYNCDUMP_U64_(parent_frame),                \
				  ASYNCDUMP_U64_(&asyncdump_site_));           \
	} while (0)

#define ASYNCDUMP_TASK_SPAWN_DYN(task, parent_task, parent_frame, name)       \
	do {                                                                   \
		ASYNCDUMP_SITE_(asyncdump_site_, ASYNCDUMP_NOLABEL_, ASYNCDUMP_F_DYN);          \
		ASYNCDUMP_PROBE5M_(task_spawn_dyn, ASYNCDUMP_U64_(task),       \
				   ASYNCDUMP_U64_(parent_task),                \
				   ASYNCDUMP_U64_(parent_frame),               \
				   ASYNCDUMP_U64_(name),                       \
				   ASYNCDUMP_U64_(&asyncdump_site_));          \
	} while (0)

#define ASYNCDUMP_TASK_EXIT(task) ASYNCDUMP_PROBE1_(task_exit, ASYNCDUMP_U64_(task))
#define ASYNCDUMP_POLL_BEGIN(task) ASYNCDUMP_PROBE1_(poll_begin, ASYNCDUMP_U64_(task))
#define ASYNCDUMP_POLL_END(task) ASYNCDUMP_PROBE1_(poll_end, ASYNCDUMP_U64_(task))

#define ASYNCDUMP_ENTER(frame, label)                                          \
	do {                                                                   \
		ASYNCDUMP_SITE_(asyncdump_site_, "" label "", 0);              \
		ASYNCDUMP_PROBE2_(enter, ASYNCDUMP_U64_(frame),                \
				  ASYNCDUMP_U64_(&asyncdump_site_));           \
	} while (0)

#define ASYNCDUMP_ENTER_DYN(frame, label)                                      \
	do {                                                                   \
		ASYNCDUMP_SITE_(asyncdump_site_, ASYNCDUMP_NOLABEL_, ASYNCDUMP_F_DYN);          \
		ASYNCDUMP_PROBE3M_(enter_dyn, ASYNCDUMP_U64_(frame),           \
				   ASYNCDUMP_U64_(label),                      \
				   ASYNCDUMP_U64_(&asyncdump_site_));          \
	} while (0)

#define ASYNCDUMP_ENTER_AT(task, frame, parent, label, flags)                  \
	do {                                                                   \
		ASYNCDUMP_SITE_(asyncdump_site_, ASYNCDUMP_NOLABEL_, 0);                        \
		ASYNCDUMP_PROBE6M_(enter_at, ASYNCDUMP_U64_(task),             \
				   ASYNCDUMP_U64_(frame),                      \
				   ASYNCDUMP_U64_(parent),                     \
				   ASYNCDUMP_U64_(label),                      \
				   ASYNCDUMP_U64_(flags),                \
				   ASYNCDUMP_U64_(&asyncdump_site_));          \
	} while (0)

/* The enter_at probe with the INNERMOST sentinel as parent: a flag-taking
 * ENTER needs no new probe name, hence no new BPF program or attachment
 * kind. The sentinel is passed as a 64-bit constant, not through
 * ASYNCDUMP_U64_, so no pointer-width cast can shorten it. */
#define ASYNCDUMP_ENTER_F(frame, label, flags)                                 \
	do {                                                                   \
		ASYNCDUMP_SITE_(asyncdump_site_, ASYNCDUMP_NOLABEL_, 0);                        \
		ASYNCDUMP_PROBE6M_(enter_at, 0ULL, ASYNCDUMP_U64_(frame),      \
				   ASYNCDUMP_U64_(ASYNCDUMP_PARENT_INNERMOST), \
				   ASYNCDUMP_U64_(label),                      \
				   ASYNCDUMP_U64_(flags),                \
				   ASYNCDUMP_U64_(&asyncdump_site_));          \
	} while (0)

/* Explicit call sites: the same probes as ENTER_F, ENTER_AT and
 * TASK_SPAWN_DYN, with the site record given instead of one of this
 * line. */
#define ASYNCDUMP_HERE()                                                       \
	(__extension__({                                                       \
		ASYNCDUMP_SITE_(asyncdump_here_, ASYNCDUMP_NOLABEL_, 0);       \
		&asyncdump_here_;                                              \
	}))
#define ASYNCDUMP_ENTER_SITE(site, frame, label, flags)                        \
	ASYNCDUMP_PROBE6M_(enter_at, 0ULL, ASYNCDUMP_U64_(frame),              \
			   ASYNCDUMP_U64_(ASYNCDUMP_PARENT_INNERMOST),         \
			   ASYNCDUMP_U64_(label), ASYNCDUMP_U64_(flags),       \
			   ASYNCDUMP_U64_(site))
#define ASYNCDUMP_ENTER_AT_SITE(site, task, frame, parent, label, flags)       \
	ASYNCDUMP_PROBE6M_(enter_at, ASYNCDUMP_U64_(task),                     \
			   ASYNCDUMP_U64_(frame), ASYNCDUMP_U64_(parent),      \
			   ASYNCDUMP_U64_(label), ASYNCDUMP_U64_(flags),       \
			   ASYNCDUMP_U64_(site))
#define ASYNCDUMP_TASK_SPAWN_SITE(site, task, parent_task, parent_frame, name) \
	ASYNCDUMP_PROBE5M_(task_spawn_dyn, ASYNCDUMP_U64_(task),               \
			   ASYNCDUMP_U64_(parent_task),                        \
			   ASYNCDUMP_U64_(parent_frame), ASYNCDUMP_U64_(name), \
			   ASYNCDUMP_U64_(site))

#define ASYNCDUMP_EXIT(frame) ASYNCDUMP_PROBE1_(exit, ASYNCDUMP_U64_(frame))
#define ASYNCDUMP_MOVE(frame, new_parent)                                      \
	ASYNCDUMP_PROBE2_(move, ASYNCDUMP_U64_(frame), ASYNCDUMP_U64_(new_parent))

/* Scope guards: the frame id is the guard object's address. */
#ifdef __cplusplus
class asyncdump_scope_guard {
public:
	explicit asyncdump_scope_guard(const struct asyncdump_site *site)
	{
		ASYNCDUMP_PROBE2_(enter, ASYNCDUMP_U64_(this),
				  ASYNCDUMP_U64_(site));
	}
	/* SCOPE_DYN: a runtime label, copied */
	asyncdump_scope_guard(const struct asyncdump_site *site,
			      const char *label)
	{
		ASYNCDUMP_PROBE3M_(enter_dyn, ASYNCDUMP_U64_(this),
				   ASYNCDUMP_U64_(label), ASYNCDUMP_U64_(site));
	}
	/* SCOPE_F */
	asyncdump_scope_guard(const struct asyncdump_site *site,
			      const char *label, unsigned long long flags)
	{
		ASYNCDUMP_ENTER_SITE(site, this, label, flags);
	}
	~asyncdump_scope_guard() { ASYNCDUMP_EXIT(this); }
	asyncdump_scope_guard(const asyncdump_scope_guard &) = delete;
	asyncdump_scope_guard &operator=(const asyncdump_scope_guard &) = delete;

private:
	[[maybe_unused]] char unused_ = 0; /* a distinct address per guard */
};
#define ASYNCDUMP_SCOPE_N_(var, label)                                         \
	ASYNCDUMP_SITE_(ASYNCDUMP_CAT_(var, _site), "" label "", 0);           \
	asyncdump_scope_guard var(&ASYNCDUMP_CAT_(var, _site))
#define ASYNCDUMP_SCOPE_DYN_N_(var, label)                                     \
	ASYNCDUMP_SITE_(ASYNCDUMP_CAT_(var, _site), ASYNCDUMP_NOLABEL_,        \
			ASYNCDUMP_F_DYN);                                      \
	asyncdump_scope_guard var(&ASYNCDUMP_CAT_(var, _site), label)
#define ASYNCDUMP_SCOPE_F_N_(var, label, flags)                                \
	ASYNCDUMP_SITE_(ASYNCDUMP_CAT_(var, _site), ASYNCDUMP_NOLABEL_, 0);    \
	asyncdump_scope_guard var(&ASYNCDUMP_CAT_(var, _site), label, flags)
#else
typedef struct asyncdump_scope {
	char unused_; /* a distinct address per guard */
} asyncdump_scope_t;
static __inline__ void asyncdump_scope_exit_(asyncdump_scope_t *scope)
{
	ASYNCDUMP_EXIT(scope);
}
#define ASYNCDUMP_SCOPE_VAR_(var)                                              \
	asyncdump_scope_t var __attribute__((cleanup(asyncdump_scope_exit_),   \
					     unused)) = {0}
#define ASYNCDUMP_SCOPE_N_(var, label)                                         \
	ASYNCDUMP_SITE_(ASYNCDUMP_CAT_(var, _site), "" label "", 0);           \
	ASYNCDUMP_SCOPE_VAR_(var);                                             \
	ASYNCDUMP_PROBE2_(enter, ASYNCDUMP_U64_(&var),                         \
			  ASYNCDUMP_U64_(&ASYNCDUMP_CAT_(var, _site)))
#define ASYNCDUMP_SCOPE_DYN_N_(var, label)                                     \
	ASYNCDUMP_SITE_(ASYNCDUMP_CAT_(var, _site), ASYNCDUMP_NOLABEL_,        \
			ASYNCDUMP_F_DYN);                                      \
	ASYNCDUMP_SCOPE_VAR_(var);                                             \
	ASYNCDUMP_PROBE3M_(enter_dyn, ASYNCDUMP_U64_(&var),                    \
			   ASYNCDUMP_U64_(label),                              \
			   ASYNCDUMP_U64_(&ASYNCDUMP_CAT_(var, _site)))
#define ASYNCDUMP_SCOPE_F_N_(var, label, flags)                                \
	ASYNCDUMP_SITE_(ASYNCDUMP_CAT_(var, _site), ASYNCDUMP_NOLABEL_, 0);    \
	ASYNCDUMP_SCOPE_VAR_(var);                                             \
	ASYNCDUMP_ENTER_SITE(&ASYNCDUMP_CAT_(var, _site), &var, label, flags)
#endif
#define ASYNCDUMP_SCOPE(label) ASYNCDUMP_SCOPE_N_(ASYNCDUMP_UNIQ_(asyncdump_scope_), label)
#define ASYNCDUMP_SCOPE_DYN(label) ASYNCDUMP_SCOPE_DYN_N_(ASYNCDUMP_UNIQ_(asyncdump_scope_), label)
#define ASYNCDUMP_SCOPE_F(label, flags) \
	ASYNCDUMP_SCOPE_F_N_(ASYNCDUMP_UNIQ_(asyncdump_scope_), label, flags)

#endif /* ASYNCDUMP_DISABLE */
#endif /* ASYNCDUMP_ABI_ONLY */
// clang-format on
#endif /* ASYNCDUMP_H */
