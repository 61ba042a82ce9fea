import Reservations

/// The writer thread's body: start-up, the batch loop until shutdown, then close.
///
/// Created on the writer thread and used only there.
struct WriterThread {
    let configuration: Writer.Configuration
    let queue: WriterQueue
    let shared: WriterShared

    func run() {
        let engine: WriterEngine
        do {
            engine = try WriterEngine(configuration: configuration, shared: shared)
        } catch {
            shared.statistics.withLock { $0.lastError = "\(error)" }
            shared.startup.fulfil(.failure(error))
            failEverythingQueued()
            return
        }
        shared.ready.store(true, ordering: .releasing)
        shared.startup.fulfil(.success(()))

        var lastCheckpointNanoseconds = configuration.clock.monotonicNanoseconds()
        while true {
            let (items, closed) = queue.take(limit: configuration.batchLimit, wait: nextWait(engine))
            if items.isEmpty && !engine.hasBackgroundWork {
                // Holds still live at shutdown are left to the next start-up, which expires them
                // before it reports ready; a final sweep here could only delay the exit.
                if closed { break }
                // Woken by the clock rather than a command: run a batch only when a hold is due,
                // listing rows wait to be copied or expired idempotency rows to be purged.
                let nowMs = configuration.clock.wallMilliseconds()
                guard engine.isExpiryDue(nowMs: nowMs) || engine.isListingCopyDue(nowMs: nowMs)
                    || engine.isIdempotencyPurgeDue(nowMs: nowMs)
                else { continue }
            }
            engine.runBatch(items)
            // Under sustained writes the checkpointer thread never finds the WAL fully copied at
            // the moment a write begins, so SQLite never restarts the WAL and it grows without end
            // (and commits stall while it grows). A PASSIVE checkpoint here, between batches, runs
            // while no write is in flight: it copies only what the checkpointer has not copied yet,
            // and then the next BEGIN restarts the WAL from its start.
            let now = configuration.clock.monotonicNanoseconds()
            if now - lastCheckpointNanoseconds >= Self.checkpointIntervalNanoseconds {
                lastCheckpointNanoseconds = now
                engine.checkpointBetweenBatches()
            }
        }
        shared.ready.store(false, ordering: .releasing)
        engine.close()
    }

    /// How often the writer checkpoints between batches while it is busy.
    static let checkpointIntervalNanoseconds: UInt64 = 50_000_000

    /// How long the writer may sleep waiting for commands.
    ///
    /// With background work pending (an event being created in chunks) it must not sleep: it takes
    /// whatever is queued, possibly nothing, and runs the next chunk. Otherwise it sleeps until the
    /// next expiry, listing copy or idempotency purge, capped so that a wall-clock step is noticed,
    /// or for as long as it takes when nothing is due.
    private func nextWait(_ engine: WriterEngine) -> WriterQueue.Wait {
        if engine.hasBackgroundWork { return .none }
        let wakes = [engine.expiryWakeMs(), engine.listingWakeMs(), engine.idempotencyPurgeWakeMs()].compactMap { $0 }
        guard let wakeMs = wakes.min() else { return .forever }
        let sleepMs = wakeMs - configuration.clock.wallMilliseconds()
        return sleepMs <= 0 ? .none : .milliseconds(min(sleepMs, configuration.maxIdleWaitMilliseconds))
    }

    /// After a failed start-up: refuse new work and answer everything already admitted, so each
    /// admitted command still completes exactly once.
    private func failEverythingQueued() {
        queue.close()
        while true {
            let (items, closed) = queue.take(limit: configuration.batchLimit, wait: .none)
            for item in items {
                switch item {
                case .command(let command):
                    command.completion(Delivery(command.render(.failed(.storageFailure))))
                case .recount(let request):
                    request.result.fulfil(.failure(WriterError.stopped))
                }
            }
            if closed { return }
        }
    }
}
