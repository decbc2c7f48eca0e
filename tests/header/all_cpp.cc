// SPDX-License-Identifier: BSD-2-Clause
/*
 * all_cpp.cc - uses every piece of usdt/asyncdump.hpp (and the C macros
 * its pieces do not use), inside a coroutine. Compiled and run, unobserved,
 * by the header compile matrix: g++ and clang++ as -std=c++20 with the
 * strict flags, with and without ASYNCDUMP_DISABLE.
 */
#include <coroutine>
#include <exception>

#include "asyncdump.hpp"

namespace
{

struct task {
	struct promise_type : asyncdump::task_promise {
		task get_return_object()
		{
			return task{std::coroutine_handle<
				promise_type>::from_promise(*this)};
		}
		std::suspend_always initial_suspend() noexcept
		{
			return {};
		}
		std::suspend_always final_suspend() noexcept
		{
			return {};
		}
		void return_void()
		{
		}
		void unhandled_exception()
		{
			std::terminate();
		}
	};
	std::coroutine_handle<promise_type> h;
};

/* Awaitables of each shape traced() accepts: an awaiter, an awaitable
 * with a member operator co_await, one with a free one, a bool and a
 * handle-returning await_suspend, and a value from await_resume. */
struct ready_value {
	bool await_ready() noexcept
	{
		return true;
	}
	void await_suspend(std::coroutine_handle<>) noexcept
	{
	}
	int await_resume() noexcept
	{
		return 42;
	}
};
struct declines {
	bool await_ready() noexcept
	{
		return false;
	}
	bool await_suspend(std::coroutine_handle<>) noexcept
	{
		return false;
	}
	void await_resume() noexcept
	{
	}
};
struct member_co_await {
	declines operator co_await() &&noexcept
	{
		return {};
	}
};
struct free_co_await {
};
declines operator co_await(free_co_await) noexcept
{
	return {};
}
struct suspends {
	std::coroutine_handle<> *out;
	bool await_ready() noexcept
	{
		return false;
	}
	std::coroutine_handle<> await_suspend(
		std::coroutine_handle<> h) noexcept
	{
		*out = h;
		return std::noop_coroutine();
	}
	void await_resume() noexcept
	{
	}
};

std::coroutine_handle<> parked;
int result;

task body(const char *runtime)
{
	asyncdump::scope s("scope");
	asyncdump::scope s2(asyncdump::dyn(runtime).verbose());
	result = co_await asyncdump::traced(ready_value{}, "ready");
	co_await asyncdump::traced(member_co_await{}, "member");
	co_await asyncdump::traced(free_co_await{}, "free");
	declines lvalue;
	co_await asyncdump::traced(lvalue, asyncdump::dyn(runtime));
	co_await asyncdump::traced(suspends{&parked},
				   asyncdump::label("parked").long_running());
}

} // namespace

int main(int argc, char **argv)
{
	char frame = 0, child = 0;
	task t = body(argc > 1 ? argv[1] : "runtime");

	t.h.promise().spawned("task", nullptr, nullptr);
	asyncdump::resume(t.h); /* runs to the parked await */
	if (!parked || t.h.done())
		return 1;
	asyncdump::resume(t.h);
	if (!t.h.done() || result != 42)
		return 1;
	t.h.destroy();
	/* the C macros the pieces above do not use */
	ASYNCDUMP_TASK_SPAWN(&frame, 0, 0, "c task");
	ASYNCDUMP_ENTER(&frame, "c enter");
	ASYNCDUMP_ENTER_DYN(&child, argc > 1 ? argv[1] : "runtime");
	ASYNCDUMP_MOVE(&child, 0);
	ASYNCDUMP_EXIT(&child);
	ASYNCDUMP_EXIT(&frame);
	ASYNCDUMP_TASK_EXIT(&frame);
	return 0;
}
