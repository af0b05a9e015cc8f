import Foundation

/// A `TaskExecutor` that runs every job on one dedicated thread of its own.
///
/// The functions' HTTP clients block their calling thread (see `HTTPTransport`). When several tests do
/// that at once on a 2-core machine they can occupy the whole cooperative thread pool; an in-test server
/// that also needed that pool would then never answer. ``StubHTTPServer`` runs its tasks here instead.
public final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false

    /// Starts the thread.
    public init(name: String) {
        let thread = Thread { [self] in self.drain() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread finish the queued jobs and exit.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func drain() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
