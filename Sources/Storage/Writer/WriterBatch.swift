import Reservations

/// Everything one batch has produced so far, carried through its phases.
struct Batch {
    /// The batch's "now" for every command in it (wall-clock ms).
    let nowMs: Int64
    /// The background step (a chunk of an event creation or clean-up) this batch runs, if any.
    let step: BackgroundJob?
    /// One entry per queued command, in order; nil while a creation continues in the background or
    /// a duplicate waits for it.
    var answers: [(command: WriteCommand, delivery: Delivery?)] = []
    /// Debug recounts and their results.
    var recounts: [(request: RecountRequest, result: Result<RecountReport?, any Error>)] = []
    /// Event creations begun in this batch, which continue in the background once it commits.
    var started: [EventCreation] = []
    /// What the background step produced.
    var stepOutcome: WriterEngine.StepOutcome?
    /// Answers for the background step and the duplicates that waited for it, sent after the
    /// batch's own commands.
    var stepAnswers: [(command: WriteCommand, delivery: Delivery)] = []
    /// Why the batch failed; nil while it may still commit.
    var failure: (any Error)?
    /// Deadlines of the holds this batch expired, for the lateness statistics once it commits.
    var expiredDeadlines: [Int64] = []
    /// Expired idempotency rows this batch deleted; memory forgets them once the batch commits.
    var purged: (count: Int, deleted: Int)?
    /// The last reservation key this batch copied into `reservations_by_user`, if it copied any.
    var listingCopiedThrough: Int64?
    /// How long COMMIT took, when it succeeded.
    var commitNanoseconds: UInt64?
    /// When COMMIT returned (wall-clock ms), for expiry lateness.
    var committedAtMs: Int64

    init(nowMs: Int64, step: BackgroundJob?) {
        self.nowMs = nowMs
        self.step = step
        committedAtMs = nowMs
    }
}

// The batch loop's phases (DESIGN.md, "Threads and data flow"): begin and expire, run the commands,
// run one background step, commit, settle in-memory state with the transaction's fate, report, and
// only then answer.
extension WriterEngine {
    /// Runs `items` plus one background step in one transaction, then answers them in order.
    func runBatch(_ items: [QueueItem]) {
        var batch = Batch(nowMs: configuration.clock.wallMilliseconds(), step: background.isEmpty ? nil : background.removeFirst())
        tally = BatchTally()
        begin(&batch)
        runItems(items, in: &batch)
        runStep(&batch)
        copyListing(&batch)
        commit(&batch)
        if batch.failure == nil { settleCommitted(&batch) } else { settleFailed(&batch) }
        report(batch, size: size(of: items, step: batch.step))
        deliver(batch)
    }

    /// BEGIN IMMEDIATE, then expiry and the idempotency purge in the same transaction: the batch's
    /// commands then see every hold whose deadline has passed as EXPIRED and its seats free.
    private func begin(_ batch: inout Batch) {
        do {
            try connection.beginImmediate()
            batch.expiredDeadlines = try expireDueHolds(nowMs: batch.nowMs).deadlines
            try checkTransaction("expiry")
            batch.purged = purgeIdempotency(nowMs: batch.nowMs)
            try checkTransaction("the idempotency purge")
        } catch {
            batch.failure = error
        }
    }

    /// Some errors (disk full, I/O) make SQLite roll back the whole transaction itself; then the
    /// earlier work is gone too and the batch has failed.
    private func checkTransaction(_ phase: String) throws(LostTransaction) {
        guard connection.isInTransaction else {
            throw LostTransaction(reason: "SQLite rolled the transaction back during \(phase)")
        }
    }

    /// Runs each command (settling its idempotency claim first) and each recount, in order.
    private func runItems(_ items: [QueueItem], in batch: inout Batch) {
        for item in items {
            switch item {
            case .command(let command):
                guard batch.failure == nil else {
                    batch.answers.append((command, nil))
                    continue
                }
                switch run(command, now: batch.nowMs) {
                case .answered(let delivery, _):
                    batch.answers.append((command, delivery))
                case .started(let creation):
                    batch.answers.append((command, nil))
                    batch.started.append(creation)
                case .waiting:
                    // Answered with the creation it duplicates (`finishWaiters`).
                    batch.answers.append((command, nil))
                }
            case .recount(let request):
                guard batch.failure == nil else {
                    batch.recounts.append((request, .failure(WriterError.stopped)))
                    continue
                }
                batch.recounts.append((request, Result { try recount(request.eventID) }))
            }
            // An error can make SQLite roll the whole transaction back; what follows must not
            // run in autocommit.
            if batch.failure == nil {
                do { try checkTransaction("a command or recount") } catch { batch.failure = error }
            }
        }
    }

    private func runStep(_ batch: inout Batch) {
        guard let step = batch.step, batch.failure == nil else { return }
        batch.stepOutcome = run(step, now: batch.nowMs)
        do { try checkTransaction("a background step") } catch { batch.failure = error }
    }

    /// Copies due reservations into `reservations_by_user` (see `ListingIndex`). A failure leaves them
    /// for a later batch and fails nothing else, unless it cost the transaction.
    private func copyListing(_ batch: inout Batch) {
        guard batch.failure == nil, let keys = listing.due(atMs: batch.nowMs) else { return }
        do {
            try connection.withSavepoint("listing") {
                try ListingIndex.copy(connection, after: keys.lowerBound - 1, through: keys.upperBound)
            }
            batch.listingCopiedThrough = keys.upperBound
        } catch {
            record(error)
            do { try checkTransaction("the listing copy") } catch { batch.failure = error }
        }
    }

    /// Whether the idle writer should run a batch (with no commands) to copy listing rows at `nowMs`;
    /// after a failed batch not before the retry delay, like expiry.
    func isListingCopyDue(nowMs: Int64) -> Bool {
        nowMs >= expiryRetryNotBeforeMs && listing.due(atMs: nowMs) != nil
    }

    /// When the idle writer should wake to copy listing rows (wall-clock ms), or nil.
    func listingWakeMs() -> Int64? {
        listing.wakeMs.map { max($0, expiryRetryNotBeforeMs) }
    }

    /// Whether the idle writer should run a batch (with no commands) to purge expired idempotency
    /// rows at `nowMs`, so an idle server forgets its keys too; after a failed batch not before the
    /// retry delay. Expiries are rounded up to a tick as hold deadlines are, so keys expiring
    /// close together go in one transaction rather than one commit each.
    func isIdempotencyPurgeDue(nowMs: Int64) -> Bool {
        guard let wake = idempotencyPurgeWakeMs() else { return false }
        return wake <= nowMs
    }

    /// When the idle writer should wake to purge expired idempotency rows (wall-clock ms), or nil.
    func idempotencyPurgeWakeMs() -> Int64? {
        idempotency.oldestExpiryMs.map { max(roundedUpToTick($0), expiryRetryNotBeforeMs) }
    }

    private func commit(_ batch: inout Batch) {
        guard batch.failure == nil else { return }
        let start = configuration.clock.monotonicNanoseconds()
        do {
            try connection.commit()
            batch.commitNanoseconds = configuration.clock.monotonicNanoseconds() - start
            batch.committedAtMs = configuration.clock.wallMilliseconds()
        } catch {
            batch.failure = error
        }
    }

    /// The batch is durable: forget the reversals, keep what it started.
    private func settleCommitted(_ batch: inout Batch) {
        discardUndoLog()
        expiryRetryNotBeforeMs = Int64.min
        if let purged = batch.purged { idempotency.dropPurged(purged.count) }
        if let key = tally.newestReservationKey { listing.committed(newestKey: key, atMs: batch.committedAtMs) }
        if let key = batch.listingCopiedThrough { listing.copied(through: key, atMs: batch.committedAtMs) }
        background.append(contentsOf: batch.started.map { .creation($0) })
        switch batch.stepOutcome {
        case .continuing(let job):
            background.append(job)
        case .answered(let creation, let reply, let stored, let cleanup):
            batch.stepAnswers.append((creation.command, Delivery(reply)))
            batch.stepAnswers += finishWaiters(of: creation, reply: reply, stored: stored)
            if let cleanup { background.append(.purge(cleanup)) }
        case .done, nil:
            break
        }
    }

    /// Nothing of this batch is stored: roll back, restore memory, and answer every command
    /// `storageFailure` — creations that began here (their first chunk rolled back with the rest),
    /// replays (the row they replay may be one this batch wrote) and duplicates that began waiting
    /// here (the undo detached them).
    private func settleFailed(_ batch: inout Batch) {
        guard let failure = batch.failure else { return }
        if connection.isInTransaction { try? connection.rollback() }
        undo(to: 0)
        record(failure)
        batch.expiredDeadlines = []
        expiryRetryNotBeforeMs = batch.nowMs + Self.expiryRetryDelayMs
        batch.answers = batch.answers.map { ($0.command, Delivery($0.command.render(.failed(.storageFailure)))) }
        tally.outcomes = tally.outcomes.map { ($0.operation, .storageFailure) }
        batch.recounts = batch.recounts.map { ($0.request, .failure(failure)) }
        switch (batch.step, batch.stepOutcome) {
        case (let step?, nil):
            // The step never ran (the batch failed first); it simply waits for the next batch.
            background.append(step)
        case (.creation(let creation)?, _?):
            // Its chunk rolled back while earlier chunks stay committed: the creation has failed,
            // and a clean-up removes what it left.
            let reply = creation.command.render(.failed(.storageFailure))
            batch.stepAnswers.append((creation.command, Delivery(reply)))
            batch.stepAnswers += finishWaiters(of: creation, reply: reply, stored: false)
            background.append(.purge(EventPurge(creation: creation)))
        case (.purge(let purge)?, _?):
            purge.failures += 1
            if purge.failures < EventPurge.maxAttempts { background.append(.purge(purge)) }
        case (nil, _):
            break
        }
    }

    /// Statistics, and metrics when configured, once the batch's fate is known.
    private func report(_ batch: Batch, size: Int) {
        let committed = batch.failure == nil
        shared.statistics.withLock { statistics in
            statistics.batches += 1
            statistics.commands += size
            statistics.maxBatchSize = max(statistics.maxBatchSize, size)
            if let nanoseconds = batch.commitNanoseconds { statistics.lastCommitNanoseconds = nanoseconds }
            if !committed { statistics.failedBatches += 1 }
            statistics.expiredHolds += batch.expiredDeadlines.count
            for deadline in batch.expiredDeadlines {
                statistics.expiryLateness.record(batch.committedAtMs - deadline)
            }
            statistics.liveHolds = deadlines.count
            if committed {
                statistics.idempotencyReplays += tally.replays
                statistics.idempotencyConflicts += tally.conflicts
                statistics.idempotencyRefusals += tally.refusals
                statistics.idempotencyPurged += batch.purged?.deleted ?? 0
            }
            statistics.idempotencyEntries = idempotency.count
            statistics.outboxBacklog = outboxBacklog
        }
        if let metrics {
            publish(
                to: metrics, batchSize: size, commitNanoseconds: batch.commitNanoseconds, committed: committed,
                committedAtMs: batch.committedAtMs, expiredDeadlines: batch.expiredDeadlines)
        }
    }

    /// Only now, after COMMIT returned (or the batch failed), does anyone hear of an outcome.
    private func deliver(_ batch: Batch) {
        if batch.failure == nil && tally.outboxAppended { configuration.onOutboxCommitted?() }
        for (command, delivery) in batch.answers {
            if let delivery { command.completion(delivery) }
        }
        for (command, delivery) in batch.stepAnswers {
            command.completion(delivery)
        }
        for (request, result) in batch.recounts {
            request.result.fulfil(result)
        }
    }
}
