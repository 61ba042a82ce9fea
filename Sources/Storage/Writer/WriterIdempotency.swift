import Reservations

/// What one batch did that statistics and metrics report once the batch's fate is known: counts
/// move only for committed work, and a failed batch's outcomes turn into `storageFailure`.
struct BatchTally {
    /// Reservation commands that ran, with the error each ended with (nil: success).
    var outcomes: [(operation: WriterMetrics.Operation, error: DomainError?)] = []
    /// Claims answered from a stored response (including duplicates that waited for a creation).
    var replays = 0
    /// Claims refused as `idempotencyConflict`.
    var conflicts = 0
    /// New claims refused because the entry bound was reached.
    var refusals = 0
    /// Storage keys of events whose seat counts may have changed.
    var touchedEvents: Set<Int64> = []
    /// The key of the newest reservation the batch inserted.
    var newestReservationKey: Int64?
    /// Whether the batch appended outbox rows (a hint for `onOutboxCommitted`; a rolled-back
    /// append leaves it set, which costs only a needless wake-up).
    var outboxAppended = false
}

// Idempotency on the writer thread (API.md, "Idempotency"; `IdempotencyIndex` explains the storage).
extension WriterEngine {
    /// The answer for a claim whose scope is already taken, or nil when the command should run.
    ///
    /// Reads the stored row (a rowid lookup, inside the batch's transaction, so a row written earlier
    /// in this batch is seen) only when the scope is live: the fingerprint and response stay on disk.
    func earlierAnswer(to claim: IdempotencyClaim, command: WriteCommand, nowMs: Int64) throws -> CommandResult? {
        if let creation = pendingClaims[claim.scope] {
            guard creation.command.idempotency?.fingerprint == claim.fingerprint else {
                tally.conflicts += 1
                return .answered(Delivery(command.render(.failed(.idempotencyConflict))), storable: false)
            }
            creation.waiters.append(command)
            onUndo { creation.waiters.removeLast() }
            return .waiting
        }
        guard let (entry, row) = try liveEntry(claim.scope, nowMs: nowMs) else {
            guard idempotency.count < configuration.idempotencyEntriesMax else {
                tally.refusals += 1
                return .answered(Delivery(command.render(.failed(.storageFailure))), storable: false)
            }
            // One caller must not spend the bound for everyone (say, with stored 404s of made-up
            // ids): beyond its own share it is refused, and only it.
            guard idempotency.count(forCallerOf: claim.scope) < configuration.idempotencyEntriesPerCallerMax else {
                tally.refusals += 1
                let seconds = Int((configuration.idempotencyTTLMilliseconds + 999) / 1000)
                return .answered(Delivery(command.render(.failed(.idempotencyKeyLimit(retryAfterSeconds: seconds)))), storable: false)
            }
            return nil
        }
        guard row.fingerprint == claim.fingerprint else {
            tally.conflicts += 1
            return .answered(Delivery(command.render(.failed(.idempotencyConflict))), storable: false)
        }
        guard let stored = IdempotencyRecord.decode(code: row.status, row.response) else {
            throw breach("idempotency row \(entry.seq) does not hold a readable reply")
        }
        tally.replays += 1
        return .answered(Delivery(stored, isReplay: true), storable: false)
    }

    /// The live entry of `scope` and its stored row, or nil. The index knows scopes by digest; the
    /// row read tells a scope from another with the same digest.
    private func liveEntry(_ scope: String, nowMs: Int64) throws -> (IdempotencyIndex.Entry, (
        scope: String, fingerprint: [UInt8], status: Int, response: [UInt8]
    ))? {
        for entry in idempotency.candidates(scope, atMs: nowMs) {
            guard let row = try IdempotencyQueries.row(connection, seq: entry.seq) else {
                throw breach("idempotency entry \(entry.seq) is live in memory but has no stored row")
            }
            if row.scope == scope { return (entry, row) }
        }
        return nil
    }

    /// Stores `reply` under `claim` when the contract keeps it (`WriteOutcome.isStorable`): appends
    /// the row in the caller's savepoint and adds the entry to memory, reversibly.
    func remember(_ claim: IdempotencyClaim, _ reply: Reply, nowMs: Int64) throws {
        // Only the first reply of a scope counts; a later one would contradict what was replayed.
        guard try liveEntry(claim.scope, nowMs: nowMs) == nil else { return }
        guard let blob = IdempotencyRecord.encode(reply) else { return }
        let (sum, overflow) = nowMs.addingReportingOverflow(configuration.idempotencyTTLMilliseconds)
        let expiresAtMs = overflow ? Int64.max : sum
        let seq = idempotency.nextSeq
        try IdempotencyQueries.insert(
            connection, seq: seq, scope: claim.scope, fingerprint: claim.fingerprint, status: reply.code,
            response: blob, createdAtMs: nowMs, expiresAtMs: expiresAtMs)
        idempotency.insert(scope: claim.scope, seq: seq, expiresAtMs: expiresAtMs)
        onUndo { [unowned self] in self.idempotency.undoInsert() }
    }

    /// A creation has finished with `reply` (its batch committed or failed; `stored` says whether
    /// the reply was kept): ends its pending claim and answers the duplicates that waited. They
    /// replay the stored reply; when nothing was stored (the creation failed) they answer
    /// `storageFailure` too, and a retry will run afresh.
    func finishWaiters(of creation: EventCreation, reply: Reply, stored: Bool) -> [(WriteCommand, Delivery)] {
        guard let claim = creation.command.idempotency, pendingClaims[claim.scope] === creation else { return [] }
        pendingClaims[claim.scope] = nil
        let waiters = creation.waiters
        creation.waiters = []
        if stored { tally.replays += waiters.count }
        return waiters.map { waiter in
            (waiter, stored ? Delivery(reply, isReplay: true) : Delivery(waiter.render(.failed(.storageFailure))))
        }
    }

    /// Deletes up to `idempotencyPurgeLimit` of the oldest expired rows in a savepoint of the batch.
    /// Returns how many rows memory should drop once the batch commits, and how many SQL deleted;
    /// nil when nothing was due or the purge failed (it is tried again next batch).
    func purgeIdempotency(nowMs: Int64) -> (count: Int, deleted: Int)? {
        guard let due = idempotency.purgeCandidates(atMs: nowMs, limit: configuration.idempotencyPurgeLimit) else {
            return nil
        }
        do {
            let deleted = try connection.withSavepoint("purge") {
                try IdempotencyQueries.purge(connection, throughSeq: due.lastSeq)
            }
            return (due.count, deleted)
        } catch {
            record(error)
            return nil
        }
    }

    /// Start-up: rebuilds the map from the table (every row, in `seq` order; expired rows only
    /// queue for the purge). Runs before the writer reports ready, so no retry can miss its entry.
    func loadIdempotency() throws {
        let nowMs = configuration.clock.wallMilliseconds()
        try IdempotencyQueries.forEachRow(connection) { seq, scope, expiresAtMs in
            idempotency.restore(seq: seq, scope: scope, expiresAtMs: expiresAtMs, nowMs: nowMs)
        }
    }

    /// Brings the metrics up to date after a batch: outcomes and idempotency counts only when it
    /// committed (a failed batch's commands count as `service_unavailable`), gauges either way
    /// (memory has been restored to match storage).
    func publish(
        to metrics: WriterMetrics, batchSize: Int, commitNanoseconds: UInt64?, committed: Bool, committedAtMs: Int64,
        expiredDeadlines: [Int64]
    ) {
        metrics.recordBatch(size: batchSize, commitNanoseconds: commitNanoseconds)
        for (operation, error) in tally.outcomes {
            metrics.recordOutcome(operation, error)
        }
        for deadline in expiredDeadlines {
            metrics.recordOutcome(.expire, nil)
            metrics.recordExpiry(latenessMs: committedAtMs - deadline)
        }
        metrics.recordIdempotency(
            replays: committed ? tally.replays : 0, conflicts: committed ? tally.conflicts : 0,
            entries: idempotency.count)
        metrics.setLiveHolds(deadlines.count)
        metrics.setOutboxBacklog(outboxBacklog)
        // Expiries touch events too (through `change`), so every event whose counts moved is here.
        for key in tally.touchedEvents.sorted() {
            if let live = eventsByKey[key] { metrics.setSeats(of: live) }
        }
    }
}
