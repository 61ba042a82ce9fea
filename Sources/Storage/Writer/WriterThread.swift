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

        while true {
            // With background work pending (an event being created in chunks) the writer must not
            // sleep: it takes whatever is queued, possibly nothing, and runs the next chunk.
            let (items, closed) = queue.take(limit: configuration.batchLimit, block: !engine.hasBackgroundWork)
            if items.isEmpty && !engine.hasBackgroundWork {
                if closed { break }
                continue
            }
            engine.runBatch(items)
        }
        shared.ready.store(false, ordering: .releasing)
        engine.close()
    }

    /// After a failed start-up: refuse new work and answer everything already admitted, so each
    /// admitted command still completes exactly once.
    private func failEverythingQueued() {
        queue.close()
        while true {
            let (items, closed) = queue.take(limit: configuration.batchLimit, block: false)
            for item in items {
                switch item {
                case .command(let command):
                    command.completion(command.render(.failed(.storageFailure)))
                case .recount(let request):
                    request.result.fulfil(.failure(WriterError.stopped))
                }
            }
            if closed { return }
        }
    }
}
