// SPDX-License-Identifier: BSD-2-Clause
/*
 * asyncdump.hpp - asyncdump for C++20 coroutines: the probes of asyncdump.h
 * placed where a coroutine suspends and resumes, with the location of the
 * code that asked for them.
 *
 * Include it instead of asyncdump.h (it includes that; keep both files
 * side by side). Needs C++20 (<coroutine>); clean under g++ and clang++
 * with -Wall -Wextra -Wpedantic -Wold-style-cast -Wuseless-cast
 * -Wzero-as-null-pointer-constant.
 *
 * THE PIECES
 *   asyncdump::traced(awaitable, label)
 *       co_await it instead of the awaitable: while the coroutine is
 *       suspended in it, its task has a frame `label`, at the line of the
 *       co_await. Entered just before the awaitable's await_suspend (which
 *       may resume the coroutine on another thread at once), exited in
 *       await_resume; an awaitable that is ready, or whose await_suspend
 *       declines to suspend, leaves no frame in any dump. The frame's id is
 *       the traced awaiter, which lives in the coroutine frame.
 *   asyncdump::scope
 *       an RAII frame with the caller's location: alive across suspension
 *       points, so "holding lock X" can be a frame above the waits.
 *   asyncdump::task_promise
 *       base class of a promise_type whose coroutines are tasks: spawned()
 *       names the task (its id is the promise's address), the destructor
 *       ends it.
 *   asyncdump::resume(handle)
 *       what an executor calls instead of handle.resume(): one poll of the
 *       coroutine's task (POLL_BEGIN, resume, POLL_END). A coroutine that
 *       another one awaits (symmetric transfer) is not a task of its own:
 *       it runs inside its awaiter's poll, and its frames nest under the
 *       awaiter's (trace that co_await with traced()).
 *   asyncdump::label / asyncdump::dyn()
 *       a frame's label: a string literal (checked at compile time: a
 *       consteval constructor; recorded by address, read at dump time) or
 *       dyn(runtime string), copied when the probe fires. .verbose() and
 *       .long_running() add ASYNCDUMP_F_VERBOSE / _LONG_RUNNING.
 *
 * CALLER'S LOCATION
 *   Each function above takes a last parameter
 *   `location loc = location::current()`: std::source_location, whose
 *   default argument is the caller's file, line and function. A library
 *   function that returns a traced awaitable (an async mutex's lock())
 *   takes the same parameter and passes it on, so the frame points at its
 *   caller. The probe passes the address of the compiler's static record
 *   behind the location (ASYNCDUMP_SITE_SRCLOC); nothing is copied or
 *   allocated. Where std::source_location is missing (clang before 15) or
 *   its record is not laid out as asyncdump expects (checked, each time a
 *   probe fires), frames carry no location: a dump shows them without
 *   file and line, never a wrong one.
 *
 * COST
 *   Unobserved, each piece is a load of the semaphore and a branch not
 *   taken (ASYNCDUMP_ACTIVE()); nothing else runs.
 */
#ifndef ASYNCDUMP_HPP
#define ASYNCDUMP_HPP

#include "asyncdump.h"

#include <coroutine>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>
#if __has_include(<source_location>)
#include <source_location>
#endif

namespace asyncdump
{

#if defined(__cpp_lib_source_location)
using location = std::source_location;
#else
/* No std::source_location: frames carry no location. */
struct location {
	static constexpr location current() noexcept
	{
		return location();
	}
};
#endif

/* The probe's site argument for loc: the address of its static record,
 * tagged ASYNCDUMP_SITE_SRCLOC, or 0 when there is none asyncdump can
 * read. Called only while observed. */
inline unsigned long long site_arg(const location &loc) noexcept
{
#if defined(__cpp_lib_source_location)
	/* The record of GCC's and Clang's __builtin_source_location(), as
	 * struct ad_srcloc_raw in include/asyncdump_abi.h reads it. */
	struct record {
		const char *file;
		const char *function;
		unsigned line;
		unsigned column;
	};
	if constexpr (sizeof(location) == sizeof(const record *) &&
		      std::is_trivially_copyable_v<location>) {
		const record *r;

		std::memcpy(&r, &loc, sizeof(r));
		if (r && r->file == loc.file_name() &&
		    r->function == loc.function_name() && r->line == loc.line())
			return reinterpret_cast<__UINTPTR_TYPE__>(r) |
			       ASYNCDUMP_SITE_SRCLOC;
	}
#endif
	static_cast<void>(loc);
	return 0;
}

class label;
constexpr label dyn(const char *text) noexcept;

/* A frame's label and flags. */
class label
{
      public:
	/* A string literal (or any array of static storage): consteval, so
	 * anything else fails to compile; use dyn() for those. */
	template <std::size_t N>
	consteval label(const char (&text)[N]) noexcept : text_(text), flags_(0)
	{
	}
	constexpr label verbose() const noexcept
	{
		return label(text_, flags_ | ASYNCDUMP_F_VERBOSE);
	}
	constexpr label long_running() const noexcept
	{
		return label(text_, flags_ | ASYNCDUMP_F_LONG_RUNNING);
	}
	constexpr const char *text() const noexcept
	{
		return text_;
	}
	constexpr unsigned flags() const noexcept
	{
		return flags_;
	}

      private:
	constexpr label(const char *text, unsigned flags) noexcept
	    : text_(text), flags_(flags)
	{
	}
	friend constexpr label dyn(const char *text) noexcept;
	const char *text_;
	unsigned flags_;
};

/* A runtime label (NUL-terminated), copied when the frame is entered. */
constexpr label dyn(const char *text) noexcept
{
	return label(text, ASYNCDUMP_F_DYN);
}

/* Enters frame `id` as the innermost frame of the thread's current task,
 * at loc; a no-op unobserved. */
inline void frame_enter(const void *id, const label &l,
			const location &loc = location::current()) noexcept
{
	if (ASYNCDUMP_ACTIVE())
		ASYNCDUMP_ENTER_SITE(site_arg(loc), id, l.text(), l.flags());
}

inline void frame_exit(const void *id) noexcept
{
	ASYNCDUMP_EXIT(id);
}

/* An RAII frame: entered by the constructor, exited by the destructor. */
class scope
{
      public:
	explicit scope(const label &l,
		       const location &loc = location::current()) noexcept
	{
		frame_enter(this, l, loc);
	}
	~scope()
	{
		frame_exit(this);
	}
	scope(const scope &) = delete;
	scope &operator=(const scope &) = delete;

      private:
	[[maybe_unused]] char unused_ = 0; /* a distinct address per scope */
};

/* Base class of a promise_type whose coroutines are tasks. */
class task_promise
{
      public:
	task_promise() noexcept = default;
	task_promise(const task_promise &) = delete;
	task_promise &operator=(const task_promise &) = delete;
	~task_promise()
	{
		if (spawned_)
			ASYNCDUMP_TASK_EXIT(this);
	}

	/* The task id: this promise's address. */
	const void *task_id() const noexcept
	{
		return this;
	}

	/* Names the task (copied) and gives it its spawner: the task and
	 * frame that started it, if any. Call once, before its first
	 * resume(); a task never spawned is shown from its first poll on,
	 * as "task". */
	void spawned(const char *name, const void *parent_task = nullptr,
		     const void *parent_frame = nullptr,
		     const location &loc = location::current()) noexcept
	{
		spawned_ = true;
		if (ASYNCDUMP_ACTIVE())
			ASYNCDUMP_TASK_SPAWN_SITE(site_arg(loc), this,
						  parent_task, parent_frame,
						  name);
	}

      private:
	bool spawned_ = false;
};

/* One poll of task `task` on this thread, for the object's lifetime. */
class poll
{
      public:
	explicit poll(const void *task) noexcept : task_(task)
	{
		ASYNCDUMP_POLL_BEGIN(task_);
	}
	~poll()
	{
		ASYNCDUMP_POLL_END(task_);
	}
	poll(const poll &) = delete;
	poll &operator=(const poll &) = delete;

      private:
	const void *task_;
};

/* Resumes a coroutine whose promise derives from task_promise as one poll
 * of its task. The coroutine may finish, even be destroyed, meanwhile:
 * the poll ends by id. */
template <class Promise> void resume(std::coroutine_handle<Promise> h)
{
	static_assert(std::is_base_of_v<task_promise, Promise>,
		      "asyncdump::resume: the promise_type must derive from "
		      "asyncdump::task_promise");
	poll p(h.promise().task_id());
	h.resume();
}

namespace detail
{

/* The awaiter of an awaitable, as co_await finds it: its member or free
 * operator co_await, else the object itself. */
template <class A> decltype(auto) get_awaiter(A &&a)
{
	if constexpr (requires { static_cast<A &&>(a).operator co_await(); })
		return static_cast<A &&>(a).operator co_await();
	else if constexpr (requires {
				   operator co_await(static_cast<A &&>(a));
			   })
		return operator co_await(static_cast<A &&>(a));
	else
		return static_cast<A &>(a);
}

} // namespace detail

/* co_await traced(a, label): see the top of this file. */
template <class A> class traced_awaiter
{
	using awaiter_ref = decltype(detail::get_awaiter(std::declval<A>()));
	static constexpr bool by_ref = std::is_lvalue_reference_v<awaiter_ref>;
	using awaiter_t = std::remove_reference_t<awaiter_ref>;
	using stored_t = std::conditional_t<by_ref, awaiter_t *,
					    std::remove_cv_t<awaiter_t>>;

      public:
	traced_awaiter(A &&a, const label &l, const location &loc) noexcept(
		std::is_nothrow_move_constructible_v<A>)
	    : awaitable_(std::forward<A>(a)), label_(l), loc_(loc),
	      awaiter_(make_awaiter(awaitable_))
	{
	}
	traced_awaiter(const traced_awaiter &) = delete;
	traced_awaiter &operator=(const traced_awaiter &) = delete;

	bool await_ready()
	{
		return awaiter().await_ready();
	}

	template <class P> auto await_suspend(std::coroutine_handle<P> h)
	{
		/* Before the awaiter's await_suspend: once that has run,
		 * another thread may have resumed, even destroyed, the
		 * coroutine (and this object with it). */
		entered_ = true;
		frame_enter(this, label_, loc_);
		/* A bool await_suspend returning false did not suspend
		 * after all: await_resume follows and exits the frame. */
		return awaiter().await_suspend(h);
	}

	decltype(auto) await_resume()
	{
		if (entered_) {
			entered_ = false;
			frame_exit(this);
		}
		return awaiter().await_resume();
	}

	~traced_awaiter()
	{
		/* Destroyed while suspended (the coroutine was destroyed, a
		 * cancellation): the frame goes with it. */
		if (entered_)
			frame_exit(this);
	}

      private:
	/* A temporary awaitable (A not a reference) is awaited as an
	 * rvalue, as co_await would. */
	static stored_t make_awaiter(std::remove_reference_t<A> &a)
	{
		if constexpr (by_ref)
			return &detail::get_awaiter(static_cast<A &&>(a));
		else
			return detail::get_awaiter(static_cast<A &&>(a));
	}
	awaiter_t &awaiter()
	{
		if constexpr (by_ref)
			return *awaiter_;
		else
			return awaiter_;
	}

	/* The awaitable itself (a temporary is moved in; an lvalue is
	 * referred to), then its awaiter. */
	A awaitable_;
	label label_;
	location loc_;
	stored_t awaiter_;
	bool entered_ = false;
};

template <class A>
traced_awaiter<A> traced(A &&awaitable, const label &l,
			 const location &loc = location::current())
{
	return traced_awaiter<A>(std::forward<A>(awaitable), l, loc);
}

} // namespace asyncdump

#endif /* ASYNCDUMP_HPP */
