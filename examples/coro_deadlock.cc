// SPDX-License-Identifier: BSD-2-Clause
/*
 * coro_deadlock - C++20 coroutines on a two-thread executor, instrumented
 * with usdt/asyncdump.hpp: a coroutine task type, an async mutex and an
 * async barrier whose waits are traced at their callers' lines.
 *
 *   coro_deadlock deadlock   worker a takes m1 then m2, worker b takes m2
 *                            then m1, after a barrier both reach: a real
 *                            deadlock. READY when both wait for good.
 *   coro_deadlock ok         the same, both in the order m1, m2: every task
 *                            finishes. READY when they have.
 * Then a line (or EOF) on stdin ends the program (a deadlocked one leaves
 * its two coroutines suspended).
 *
 * The deadlock's dump: each worker task is in "take both" (the child
 * coroutine it awaits), holding its first mutex, waiting for the other:
 *   task "worker a"
 *     take both
 *       holding m1
 *         lock m2
 */
#include <condition_variable>
#include <coroutine>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "asyncdump.hpp"

namespace
{

class executor;

/* A lazy coroutine. Spawned on the executor it is a task; awaited by
 * another coroutine it runs inside that one's task (symmetric transfer). */
class task
{
      public:
	struct promise_type;
	using handle = std::coroutine_handle<promise_type>;

	struct promise_type : asyncdump::task_promise {
		executor *ex = nullptr;		      /* a spawned root */
		std::coroutine_handle<> continuation; /* an awaited child */
		const asyncdump::task_promise *root = this; /* whose task */

		task get_return_object()
		{
			return task(handle::from_promise(*this));
		}
		std::suspend_always initial_suspend() noexcept
		{
			return {};
		}
		struct final_awaiter {
			bool await_ready() noexcept
			{
				return false;
			}
			std::coroutine_handle<> await_suspend(
				handle h) noexcept;
			void await_resume() noexcept
			{
			}
		};
		final_awaiter final_suspend() noexcept
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

	task(task &&o) noexcept : h_(std::exchange(o.h_, {}))
	{
	}
	task(const task &) = delete;
	task &operator=(const task &) = delete;
	~task()
	{
		if (h_)
			h_.destroy();
	}

	/* co_await child(): runs it now, inside the awaiting task. */
	auto operator co_await() &&noexcept
	{
		struct awaiter {
			handle child;
			bool await_ready() noexcept
			{
				return false;
			}
			handle await_suspend(handle parent) noexcept
			{
				child.promise().continuation = parent;
				child.promise().root = parent.promise().root;
				return child;
			}
			void await_resume() noexcept
			{
			}
		};
		return awaiter{h_};
	}

	handle release()
	{
		return std::exchange(h_, {});
	}

      private:
	explicit task(handle h) : h_(h)
	{
	}
	handle h_;
};

/* Runs tasks on two threads. A resumption is one poll of the task the
 * coroutine belongs to (a child coroutine: its root's). */
class executor
{
      public:
	explicit executor(unsigned nthreads)
	{
		for (unsigned i = 0; i < nthreads; i++)
			threads_.emplace_back([this] { run(); });
	}
	~executor()
	{
		{
			std::lock_guard<std::mutex> l(mu_);
			stop_ = true;
		}
		cv_.notify_all();
		for (auto &t : threads_)
			t.join();
	}

	void spawn(
		task t, const char *name,
		const asyncdump::location &loc = asyncdump::location::current())
	{
		task::handle h = t.release();

		h.promise().ex = this;
		h.promise().spawned(name, nullptr, nullptr, loc);
		{
			std::lock_guard<std::mutex> l(mu_);
			live_++;
		}
		schedule(h, &h.promise());
	}

	void schedule(std::coroutine_handle<> h,
		      const asyncdump::task_promise *root)
	{
		{
			std::lock_guard<std::mutex> l(mu_);
			queue_.push_back({h, root});
		}
		cv_.notify_one();
	}

	/* A root task finished (and was destroyed). */
	void done()
	{
		{
			std::lock_guard<std::mutex> l(mu_);
			live_--;
		}
		state_cv_.notify_all();
	}

	/* A coroutine is suspended with no way to be resumed but another's
	 * unlock (a mutex wait); counted for the READY line. */
	void blocked()
	{
		{
			std::lock_guard<std::mutex> l(mu_);
			blocked_++;
		}
		state_cv_.notify_all();
	}
	void unblocked()
	{
		std::lock_guard<std::mutex> l(mu_);
		blocked_--;
	}

	/* Waits until no task is live, or until `blocked` tasks wait and the
	 * run queue is empty. */
	void wait_until(unsigned blocked)
	{
		std::unique_lock<std::mutex> l(mu_);
		state_cv_.wait(l, [&] {
			return live_ == 0 || (blocked_ == blocked &&
					      queue_.empty() && running_ == 0);
		});
	}

      private:
	struct item {
		std::coroutine_handle<> h;
		const asyncdump::task_promise *root;
	};

	void run()
	{
		std::unique_lock<std::mutex> l(mu_);
		for (;;) {
			cv_.wait(l,
				 [this] { return stop_ || !queue_.empty(); });
			if (stop_)
				return;
			item it = queue_.front();
			queue_.pop_front();
			running_++;
			l.unlock();
			{
				asyncdump::poll p(it.root->task_id());
				it.h.resume();
			}
			l.lock();
			running_--;
			state_cv_.notify_all();
		}
	}

	std::mutex mu_;
	std::condition_variable cv_, state_cv_;
	std::deque<item> queue_;
	std::vector<std::thread> threads_;
	unsigned live_ = 0, blocked_ = 0, running_ = 0;
	bool stop_ = false;
};

std::coroutine_handle<> task::promise_type::final_awaiter::await_suspend(
	handle h) noexcept
{
	promise_type &p = h.promise();

	if (p.continuation)
		return p.continuation; /* the awaiting coroutine goes on */
	/* A root: ends here (its task ends with the promise). */
	executor *ex = p.ex;
	h.destroy();
	ex->done();
	return std::noop_coroutine();
}

/* An async mutex. lock() takes the caller's location, so its wait and
 * the guard's "holding" frame point at the line that locked. */
class async_mutex
{
      public:
	async_mutex(executor &ex, const char *name)
	    : ex_(ex), lock_label_(std::string("lock ") + name),
	      holding_label_(std::string("holding ") + name)
	{
	}

	/* Holds the mutex, and is a frame, while alive: not movable, so
	 * `auto g = co_await m.lock();` builds it in place. */
	class guard
	{
	      public:
		guard(async_mutex &m, const asyncdump::location &loc) : m_(m)
		{
			asyncdump::frame_enter(
				this,
				asyncdump::dyn(m.holding_label_.c_str())
					.long_running(),
				loc);
		}
		~guard()
		{
			asyncdump::frame_exit(this);
			m_.unlock();
		}
		guard(const guard &) = delete;
		guard &operator=(const guard &) = delete;

	      private:
		async_mutex &m_;
	};

	class lock_op
	{
	      public:
		lock_op(async_mutex &m, const asyncdump::location &loc)
		    : m_(m), loc_(loc)
		{
		}
		bool await_ready()
		{
			return m_.try_lock();
		}
		template <class P>
		bool await_suspend(std::coroutine_handle<P> h)
		{
			return m_.wait(h, h.promise().root);
		}
		guard await_resume()
		{
			return guard(m_, loc_);
		}

	      private:
		async_mutex &m_;
		asyncdump::location loc_;
	};

	auto lock(
		const asyncdump::location &loc = asyncdump::location::current())
	{
		return asyncdump::traced(lock_op(*this, loc),
					 asyncdump::dyn(lock_label_.c_str()),
					 loc);
	}

      private:
	bool try_lock()
	{
		std::lock_guard<std::mutex> l(mu_);
		if (locked_)
			return false;
		locked_ = true;
		return true;
	}
	/* false: got it after all, do not suspend. */
	bool wait(std::coroutine_handle<> h,
		  const asyncdump::task_promise *root)
	{
		std::lock_guard<std::mutex> l(mu_);
		if (!locked_) {
			locked_ = true;
			return false;
		}
		waiters_.push_back({h, root});
		ex_.blocked();
		return true;
	}
	void unlock()
	{
		std::unique_lock<std::mutex> l(mu_);
		if (waiters_.empty()) {
			locked_ = false;
			return;
		}
		waiter w = waiters_.front(); /* ownership passes to it */
		waiters_.pop_front();
		l.unlock();
		ex_.unblocked();
		ex_.schedule(w.h, w.root);
	}

	struct waiter {
		std::coroutine_handle<> h;
		const asyncdump::task_promise *root;
	};
	executor &ex_;
	std::string lock_label_, holding_label_;
	std::mutex mu_;
	bool locked_ = false;
	std::deque<waiter> waiters_;
};

/* Every party waits until all have arrived. */
class async_barrier
{
      public:
	async_barrier(executor &ex, unsigned n) : ex_(ex), n_(n), left_(n)
	{
	}

	class op
	{
	      public:
		explicit op(async_barrier &b) : b_(b)
		{
		}
		bool await_ready()
		{
			return false;
		}
		template <class P>
		bool await_suspend(std::coroutine_handle<P> h)
		{
			return b_.arrive(h, h.promise().root);
		}
		void await_resume()
		{
		}

	      private:
		async_barrier &b_;
	};

	auto arrive_and_wait(
		const asyncdump::location &loc = asyncdump::location::current())
	{
		return asyncdump::traced(op(*this), "barrier", loc);
	}

      private:
	struct waiter {
		std::coroutine_handle<> h;
		const asyncdump::task_promise *root;
	};
	/* false for the last to arrive: it goes on, the others resume. */
	bool arrive(std::coroutine_handle<> h,
		    const asyncdump::task_promise *root)
	{
		std::vector<waiter> wake;
		{
			std::lock_guard<std::mutex> l(mu_);
			if (--left_ > 0) {
				waiters_.push_back({h, root});
				return true;
			}
			wake.swap(waiters_);
			left_ = n_; /* the next round */
		}
		for (auto &w : wake)
			ex_.schedule(w.h, w.root);
		return false;
	}

	executor &ex_;
	std::mutex mu_;
	unsigned n_, left_;
	std::vector<waiter> waiters_;
};

task take_both(async_mutex &first, async_mutex &second, async_barrier &b)
{
	auto g1 = co_await first.lock();  /* LOCK FIRST */
	co_await b.arrive_and_wait();	  /* BARRIER */
	auto g2 = co_await second.lock(); /* LOCK SECOND */
}

task worker(async_mutex &first, async_mutex &second, async_barrier &b)
{
	task t = take_both(first, second, b);
	co_await asyncdump::traced(std::move(t), "take both"); /* TAKE BOTH */
}

} // namespace

int main(int argc, char **argv)
{
	bool deadlock = argc < 2 || std::strcmp(argv[1], "ok") != 0;

	if (argc > 2 || (argc == 2 && std::strcmp(argv[1], "ok") != 0 &&
			 std::strcmp(argv[1], "deadlock") != 0)) {
		std::fprintf(stderr, "usage: %s [deadlock|ok]\n", argv[0]);
		return 2;
	}
	/* Deadlocked coroutines are never resumed and cannot be destroyed
	 * safely; the executor outlives main's locals on purpose. */
	executor *ex = new executor(2);
	async_mutex m1(*ex, "m1"), m2(*ex, "m2");
	/* ok: each worker passes the barrier alone (the other may wait
	 * for the mutex it holds). */
	async_barrier b(*ex, deadlock ? 2 : 1);

	ex->spawn(worker(m1, m2, b), "worker a");
	if (deadlock)
		ex->spawn(worker(m2, m1, b), "worker b");
	else
		ex->spawn(worker(m1, m2, b), "worker b");
	ex->wait_until(deadlock ? 2 : 0);
	std::printf("READY %ld %s\n", static_cast<long>(getpid()),
		    deadlock ? "deadlock" : "ok");
	std::fflush(stdout);

	char line[64];
	static_cast<void>(std::fgets(line, sizeof(line), stdin));
	if (deadlock) {
		/* Two coroutines hold a mutex each and wait for the other's
		 * forever: stop the threads and leave them. */
		std::_Exit(0);
	}
	delete ex;
	return 0;
}
