import Reservations

// Outbox delivery state on the writer thread (API.md, "Outbox events"): the relay reports progress
// through the writer like every other change, so the backlog count and the rows never disagree.
extension WriterEngine {
    /// Most rows one `.delivered` or `.prune` command may touch, so that no command makes a batch long.
    static let outboxRowsPerCommandMax = 10_000

    /// Applies `change` inside the command's savepoint and keeps `outboxBacklog` in step with it.
    func applyOutbox(_ change: OutboxChange, nowMs: Int64) throws -> WriteOutcome {
        switch change {
        case .delivered(let sequences):
            guard sequences.count <= Self.outboxRowsPerCommandMax else {
                throw DomainError.invalid([FieldProblem(field: "sequences", problem: "at most \(Self.outboxRowsPerCommandMax) per change")])
            }
            let statement = try connection.statement(
                "UPDATE outbox SET delivered_at_ms = ? WHERE sequence = ? AND delivered_at_ms IS NULL AND dead_at_ms IS NULL")
            var rows = 0
            for sequence in sequences {
                try statement.bindAll(.integer(nowMs), .integer(sequence))
                rows += try statement.run()
            }
            leaveBacklog(rows)
            return .outboxChanged(rows: rows)
        case .dead(let sequence, let attempts, let reason):
            let rows = try connection.run(
                """
                UPDATE outbox SET dead_at_ms = ?, attempts = ?, last_error = ?
                WHERE sequence = ? AND delivered_at_ms IS NULL AND dead_at_ms IS NULL
                """,
                .integer(nowMs), .integer(Int64(max(attempts, 0))), .text(String(reason.prefix(ReservationLimits.maxTextLength))),
                .integer(sequence))
            leaveBacklog(rows)
            return .outboxChanged(rows: rows)
        case .retryDead(let id):
            guard var record = try ReservationQueries.deadOutbox(connection, id: id) else { return .outboxRevived(nil) }
            _ = try connection.run(
                "UPDATE outbox SET dead_at_ms = NULL, attempts = 0, last_error = NULL WHERE sequence = ?",
                .integer(record.sequence))
            leaveBacklog(-1)
            record.deadAtMs = nil
            record.attempts = 0
            record.lastError = nil
            return .outboxRevived(record)
        case .prune(let beforeMs, let limit, let undeliveredToo):
            let limit = min(max(limit, 1), Self.outboxRowsPerCommandMax)
            // Oldest first by sequence: rows are delivered roughly in sequence order, so the prunable
            // rows sit at the start of the table and the read stops after `limit` of them.
            let pending = undeliveredToo ? try pendingRows(createdBefore: beforeMs, limit: limit) : 0
            let rows = try connection.run(
                """
                DELETE FROM outbox WHERE sequence IN (
                    SELECT sequence FROM outbox
                    WHERE dead_at_ms IS NULL AND (delivered_at_ms < ?1 OR (?2 AND delivered_at_ms IS NULL AND created_at_ms < ?1))
                    ORDER BY sequence LIMIT ?3)
                """,
                .integer(beforeMs), .integer(undeliveredToo ? 1 : 0), .integer(Int64(limit)))
            leaveBacklog(pending)
            return .outboxChanged(rows: rows)
        }
    }

    /// How many of the rows the prune below deletes are still in the backlog (undelivered, not dead).
    private func pendingRows(createdBefore beforeMs: Int64, limit: Int) throws -> Int {
        try connection.withStatement(
            """
            SELECT count(*) FROM (
                SELECT delivered_at_ms FROM outbox
                WHERE dead_at_ms IS NULL AND (delivered_at_ms < ?1 OR (delivered_at_ms IS NULL AND created_at_ms < ?1))
                ORDER BY sequence LIMIT ?2)
            WHERE delivered_at_ms IS NULL
            """
        ) { statement in
            try statement.bindAll(.integer(beforeMs), .integer(Int64(limit)))
            _ = try statement.step()
            return Int(statement.int64(0))
        }
    }

    /// `rows` events left the backlog (negative: joined it), reversibly.
    private func leaveBacklog(_ rows: Int) {
        guard rows != 0 else { return }
        outboxBacklog -= rows
        onUndo { [unowned self] in self.outboxBacklog += rows }
    }
}
