import Foundation
import Metrics
import Reservations
@testable import Storage
import Synchronization
import TestSupport
import Testing

/// Idempotency-Key handling in the writer (API.md, "Idempotency"): a retry never runs twice.
@Suite struct IdempotencyTests {
    // MARK: Replay and conflict

    @Test func retry_replaysTheExactBytesAndHeaders_withTheReplayedHeader() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_r", seats: [10])).status == 201)
                let executions = ExecutionCounter()
                let key = claim("alice", "k1")
                let first = try submit(writer, holdOperation("evt_r", quantity: 2), claim: key, executions: executions)
                #expect(first.status == 201 && !first.isReplay)
                #expect(first.headers.map(\.name) == ["Content-Type", "Location"])

                let second = try submit(writer, holdOperation("evt_r", quantity: 2), claim: key, executions: executions)
                #expect(second.status == first.status)
                #expect(second.body == first.body)
                #expect(second.headers == first.headers + [ResponseHeader(name: "Idempotent-Replayed", value: "true")])
                #expect(executions.value == 1, "the retry did not run")
                #expect(try availableSeats(directory, "evt_r") == 8, "availability dropped once")
                #expect(try scalarInt(openTestConnection(directory), "SELECT count(*) FROM reservations") == 1)
                #expect(writer.statistics.idempotencyReplays == 1)
                #expect(writer.statistics.idempotencyEntries == 1)
            }
        }
    }

    @Test func changedFingerprint_isAConflict_thatIsNeverStored() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_c", seats: [10])).status == 201)
                let first = try submit(writer, holdOperation("evt_c", quantity: 1), claim: claim("alice", "k1"))
                #expect(first.status == 201)

                let changed = try submit(
                    writer, holdOperation("evt_c", quantity: 3), claim: claim("alice", "k1", fingerprint: "request-2"))
                #expect(changed.status == 409 && text(changed) == "IDEMPOTENCY_CONFLICT" && !changed.isReplay)
                #expect(try idempotencyRows(directory) == 1, "the conflict was not stored")
                #expect(try availableSeats(directory, "evt_c") == 9)

                // The key still belongs to the first request.
                let retry = try submit(writer, holdOperation("evt_c", quantity: 1), claim: claim("alice", "k1"))
                #expect(retry.isReplay && retry.body == first.body)
                #expect(writer.statistics.idempotencyConflicts == 1)
                #expect(writer.statistics.idempotencyReplays == 1)
            }
        }
    }

    @Test func sameKey_inTwoScopes_makesTwoReservations() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_s", seats: [10])).status == 201)
                let alice = try submit(writer, holdOperation("evt_s", user: "alice"), claim: claim("alice", "same"))
                let bob = try submit(writer, holdOperation("evt_s", user: "bob"), claim: claim("bob", "same"))
                #expect(alice.status == 201 && bob.status == 201)
                #expect(!alice.isReplay && !bob.isReplay && alice.body != bob.body)
                #expect(try availableSeats(directory, "evt_s") == 8)
                #expect(try idempotencyRows(directory) == 2)
            }
        }
    }

    @Test func twentyThreads_withOneClaim_runItOnce_andAllGetTheSameBody() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_20", seats: [50])).status == 201)
                let executions = ExecutionCounter()
                let responses = race(20) { _ in
                    try? submit(writer, holdOperation("evt_20", quantity: 2), claim: claim("alice", "k"), executions: executions)
                }
                #expect(responses.count == 20)
                let bodies = Set(responses.compactMap { $0?.body })
                #expect(bodies.count == 1)
                #expect(responses.allSatisfy { $0?.status == 201 })
                #expect(responses.filter { $0?.isReplay == true }.count == 19)
                #expect(Set(responses.compactMap { $0?.withoutReplayHeader }).count == 1, "same headers too")
                #expect(executions.value == 1)
                #expect(try availableSeats(directory, "evt_20") == 48, "availability dropped once")
                #expect(try scalarInt(openTestConnection(directory), "SELECT count(*) FROM reservations") == 1)
                #expect(try writer.recount(eventID: "evt_20")?.isConsistent == true)
            }
        }
    }

    @Test func duplicateInTheSameBatch_replaysTheFirst() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_b", seats: [10])).status == 201)
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                let boxes = [ResponseBox(), ResponseBox(), ResponseBox()]
                let claims = [claim("alice", "k"), claim("alice", "k"), claim("alice", "k", fingerprint: "other")]
                for (box, key) in zip(boxes, claims) {
                    #expect(writer.submit(box.command(holdOperation("evt_b"), claim: key)))
                }
                gate.open()
                let first = try #require(boxes[0].wait())
                let second = try #require(boxes[1].wait())
                let third = try #require(boxes[2].wait())
                #expect(first.status == 201 && !first.isReplay)
                #expect(second.isReplay && second.withoutReplayHeader == first)
                #expect(third.status == 409 && text(third) == "IDEMPOTENCY_CONFLICT")
                #expect(writer.statistics.maxBatchSize >= 3, "all three shared a batch")
                #expect(try availableSeats(directory, "evt_b") == 9)
            }
        }
    }

    // MARK: What is stored

    @Test func seatUnavailable_isStored_andReplaysAsTheSame409_withoutTouchingSeats() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_u", seats: [4])).status == 201)
                let bob = try heldReservation(hold(writer, "evt_u", user: "bob", seats: ["A-1"]))
                let key = claim("alice", "k")
                let refused = try submit(writer, holdOperation("evt_u", seats: ["A-2", "A-1"]), claim: key)
                #expect(refused.status == 409 && text(refused) == "SEAT_UNAVAILABLE" && !refused.isReplay)
                #expect(try idempotencyRows(directory) == 1, "a business failure is stored")
                let report = try #require(try writer.recount(eventID: "evt_u"))
                #expect(report.isConsistent)
                #expect(report.sections.first?.seatRows == RecountReport.Tally(available: 3, held: 1), "A-2 untouched")
                #expect(try outboxRows(directory).count == 1, "only bob's hold wrote an event")

                // Even once A-1 is free again, the retry answers what the first attempt got.
                #expect(try cancel(writer, bob.id, user: "bob").reservation?.status == .cancelled)
                let retry = try submit(writer, holdOperation("evt_u", seats: ["A-2", "A-1"]), claim: key)
                #expect(retry.isReplay && retry.withoutReplayHeader == refused)
                #expect(try availableSeats(directory, "evt_u") == 4)
            }
        }
    }

    @Test func notFound_isStored_andReplayed() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                let missing = try submit(writer, holdOperation("evt_missing"), claim: claim("alice", "k"))
                #expect(missing.status == 404 && text(missing) == "EVENT_NOT_FOUND")
                #expect(try create(writer, eventSpec("evt_missing", seats: [2])).status == 201)
                let retry = try submit(writer, holdOperation("evt_missing"), claim: claim("alice", "k"))
                #expect(retry.isReplay && retry.withoutReplayHeader == missing, "the first outcome stands")
            }
        }
    }

    @Test func badRequest_isNotStored_soTheFixedRequestRuns() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_400", seats: [4])).status == 201)
                let key = claim("alice", "k")
                let bad = try submit(writer, holdOperation("evt_400", quantity: 11), claim: key)
                #expect(bad.status == 400 && text(bad) == "INVALID_REQUEST")
                let unknownSeat = try submit(writer, holdOperation("evt_400", seats: ["Z-9"]), claim: key)
                #expect(unknownSeat.status == 400)
                #expect(try idempotencyRows(directory) == 0)

                // Fixed (same scope; the real API's fingerprint would change with the body, and
                // nothing stored means nothing to conflict with).
                let fixed = try submit(
                    writer, holdOperation("evt_400", quantity: 1), claim: claim("alice", "k", fingerprint: "fixed"))
                #expect(fixed.status == 201 && !fixed.isReplay)
                #expect(try idempotencyRows(directory) == 1)
            }
        }
    }

    @Test func storableOutcomes_followTheContract() {
        let stored: [DomainError] = [
            .eventNotFound, .eventAlreadyExists, .seatUnavailable, .reservationNotFound, .reservationExpired,
            .alreadyConfirmed, .alreadyCancelled, .holdExtensionLimit,
        ]
        for error in stored {
            #expect(WriteOutcome.failed(error).isStorable, "\(error)")
        }
        for error in [DomainError.invalid([]), .idempotencyConflict, .storageFailure] {
            #expect(!WriteOutcome.failed(error).isStorable, "\(error)")
        }
        let counts = InventoryCounts(sections: [])
        let event = Event(key: 1, id: "evt_1", name: "e", currency: "KRW", sections: [], createdAtMs: 0)
        #expect(WriteOutcome.eventCreated(event, counts).isStorable)
    }

    // MARK: Lifetime

    @Test func expiredKey_isForgotten_andRunsAgain() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withClockedWriter(directory, clock, configure: { $0.idempotencyTTLMilliseconds = 1_000 }) {
                (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_e", seats: [10])).status == 201)
                let key = claim("alice", "k")
                let first = try submit(writer, holdOperation("evt_e"), claim: key)
                clock.advance(byMilliseconds: 999)
                #expect(try submit(writer, holdOperation("evt_e"), claim: key).isReplay, "still live 1 ms before")
                clock.advance(byMilliseconds: 1)
                let again = try submit(writer, holdOperation("evt_e"), claim: key)
                #expect(again.status == 201 && !again.isReplay && again.body != first.body)
                #expect(try availableSeats(directory, "evt_e") == 8)
                // The new response is what retries now see.
                #expect(try submit(writer, holdOperation("evt_e"), claim: key).withoutReplayHeader == again)
            }
        }
    }

    @Test func restart_keepsLiveKeys_andDropsExpiredOnes() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            let configure: (inout Writer.Configuration) -> Void = { $0.idempotencyTTLMilliseconds = 10_000 }
            let (early, late) = try withClockedWriter(directory, clock, configure: configure) {
                (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_x", seats: [10])).status == 201)
                let early = try submit(writer, holdOperation("evt_x"), claim: claim("alice", "early"))
                clock.advance(byMilliseconds: 6_000)
                let late = try submit(writer, holdOperation("evt_x"), claim: claim("alice", "late"))
                return (early, late)
            }
            clock.advance(byMilliseconds: 4_000)  // `early` has just expired, `late` has 6 s left
            try withClockedWriter(directory, clock, configure: configure) { (writer: Writer) throws in
                #expect(writer.statistics.idempotencyEntries == 1)
                let lateRetry = try submit(writer, holdOperation("evt_x"), claim: claim("alice", "late"))
                #expect(lateRetry.isReplay && lateRetry.withoutReplayHeader == late)
                let earlyRetry = try submit(writer, holdOperation("evt_x"), claim: claim("alice", "early"))
                #expect(earlyRetry.status == 201 && !earlyRetry.isReplay && earlyRetry.body != early.body)
                #expect(writer.statistics.idempotencyPurged == 1, "the expired row went with the first batch")
                #expect(try idempotencyRows(directory) == 2)
            }
        }
    }

    @Test func purge_removesTheOldestExpiredRows_inBoundedBatches_evenWhenIdle() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            try withClockedWriter(directory, clock, configure: {
                $0.idempotencyTTLMilliseconds = 1_000
                $0.idempotencyPurgeLimit = 3
                $0.maxIdleWaitMilliseconds = 20  // notice the test clock's jumps quickly
            }) { (writer: Writer) throws in
                // 404s are stored and hold no seats, so no expiry wake-up adds batches of its own.
                for index in 0..<7 {
                    #expect(try submit(writer, holdOperation("evt_none"), claim: claim("alice", "k\(index)")).status == 404)
                    clock.advance(byMilliseconds: 10)
                }
                let connection = try openTestConnection(directory)
                let firstSeq = try scalarInt(connection, "SELECT min(seq) FROM idempotency_keys")
                #expect(try idempotencyRows(directory) == 7)
                let batches = writer.statistics.batches

                // k0…k5 expire, k6 has 10 ms left; with no command at all the idle writer purges
                // them, oldest first, at most three rows per batch.
                clock.advance(byMilliseconds: 980)
                #expect(eventually { (try? idempotencyRows(directory)) == 1 })
                #expect(try scalarInt(connection, "SELECT min(seq) FROM idempotency_keys") == firstSeq + 6, "oldest first")
                #expect(writer.statistics.batches - batches >= 2, "bounded: at most three rows per batch")
                // Statistics follow the commit that readers already see.
                #expect(eventually { writer.statistics.idempotencyPurged == 6 })
                #expect(writer.statistics.idempotencyEntries == 1)
                #expect(try submit(writer, holdOperation("evt_none"), claim: claim("alice", "k6")).isReplay)

                clock.advance(byMilliseconds: 10)
                #expect(eventually { (try? idempotencyRows(directory)) == 0 })
                #expect(eventually { writer.statistics.idempotencyPurged == 7 })
                #expect(writer.statistics.idempotencyEntries == 0)

                // A key stored after the table emptied gets a fresh, larger seq and is purged in turn.
                #expect(try submit(writer, holdOperation("evt_none"), claim: claim("alice", "k0")).status == 404)
                #expect(try scalarInt(connection, "SELECT min(seq) FROM idempotency_keys") == firstSeq + 7)
            }
        }
    }

    @Test func entryBound_refusesNewClaims_butStillReplaysAndRunsUnclaimedCommands() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory, configure: { $0.idempotencyEntriesMax = 2 }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_m", seats: [10])).status == 201)
                let first = try submit(writer, holdOperation("evt_m"), claim: claim("alice", "k1"))
                #expect(try submit(writer, holdOperation("evt_m"), claim: claim("alice", "k2")).status == 201)
                let refused = try submit(writer, holdOperation("evt_m"), claim: claim("alice", "k3"))
                #expect(refused.status == 503 && text(refused) == "SERVICE_UNAVAILABLE")
                #expect(try submit(writer, holdOperation("evt_m"), claim: claim("alice", "k1")).withoutReplayHeader == first)
                #expect(try submit(writer, holdOperation("evt_m"), claim: nil).status == 201)
                #expect(writer.statistics.idempotencyRefusals == 1)
                #expect(try availableSeats(directory, "evt_m") == 7)
            }
        }
    }

    // MARK: Failure

    @Test func commitFailure_forgetsTheBatchsEntries() throws {
        try withTemporaryDirectory { directory in
            let registry = MetricsRegistry(shardCount: 1)
            try withWriter(directory, configure: { $0.metrics = registry }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_f", seats: [10])).status == 201)
                let before = try submit(writer, holdOperation("evt_f"), claim: claim("alice", "old"))
                let arrange = try armCommitFailure(directory, onInsertInto: "reservations", when: "NEW.user_id = 'tripper'")
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                let boxes = (0..<4).map { _ in ResponseBox() }
                let commands = [
                    boxes[0].command(holdOperation("evt_f"), claim: claim("alice", "new")),
                    boxes[1].command(holdOperation("evt_f"), claim: claim("alice", "new")),
                    boxes[2].command(holdOperation("evt_f"), claim: claim("alice", "old")),
                    boxes[3].command(holdOperation("evt_f", user: "tripper"), claim: claim("tripper", "t")),
                ]
                for command in commands { #expect(writer.submit(command)) }
                gate.open()
                for box in boxes {
                    let response = try #require(box.wait())
                    #expect(response.status == 503 && !response.isReplay, "the whole batch failed at COMMIT")
                }
                #expect(writer.statistics.failedBatches == 1)
                #expect(writer.statistics.idempotencyEntries == 1, "only the committed key is left")
                #expect(writer.statistics.idempotencyReplays == 0, "a failed batch replays nothing")
                let scrape = scrapeSamples(registry)
                #expect(
                    scrape[#"reservation_outcomes_total{operation="hold",outcome="service_unavailable"}"#] == 2,
                    "the two holds that ran; the two replays did not run")
                #expect(scrape[#"reservation_outcomes_total{operation="hold",outcome="ok"}"#] == 1, "only `old`")
                #expect(scrape["idempotency_replays_total"] == 0)
                #expect(scrape["idempotency_entries"] == 1)

                try arrange.execute("DROP TRIGGER trip")
                let retry = try submit(writer, holdOperation("evt_f"), claim: claim("alice", "new"))
                #expect(retry.status == 201 && !retry.isReplay, "the failed batch's key was forgotten")
                #expect(try submit(writer, holdOperation("evt_f"), claim: claim("alice", "old")).withoutReplayHeader == before)
                #expect(try submit(writer, holdOperation("evt_f", user: "tripper"), claim: claim("tripper", "t")).status == 201)
                #expect(try idempotencyRows(directory) == 3)
                #expect(try writer.recount(eventID: "evt_f")?.isConsistent == true)
            }
        }
    }

    @Test func aLiveEntryWithoutItsRow_failsTheRetry_andReportsTheBreach() throws {
        try withTemporaryDirectory { directory in
            let reports = Mutex<[String]>([])
            try withWriter(directory, configure: { configuration in
                configuration.onInvariantBreach = { message in reports.withLock { $0.append(message) } }
            }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_gone", seats: [4])).status == 201)
                #expect(try submit(writer, holdOperation("evt_gone"), claim: claim("alice", "k")).status == 201)
                try openTestConnection(directory).run("DELETE FROM idempotency_keys")
                let retry = try submit(writer, holdOperation("evt_gone"), claim: claim("alice", "k"))
                #expect(retry.status == 503 && !retry.isReplay, "never a second execution")
                #expect(reports.withLock { $0.first?.contains("has no stored row") } == true)
                #expect(try availableSeats(directory, "evt_gone") == 3)
            }
        }
    }

    @Test func table_isAppendOnly_keyedBySequence_withoutASecondaryIndex() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory) { _ in }
            let connection = try openTestConnection(directory)
            let columns = try connection.withStatement("SELECT name, pk FROM pragma_table_info('idempotency_keys')") {
                statement in
                var columns: [String] = []
                while try statement.step() { columns.append(statement.string(0) + (statement.int(1) == 1 ? "*" : "")) }
                return columns
            }
            #expect(columns == ["seq*", "scope", "fingerprint", "status", "response", "created_at_ms", "expires_at_ms"])
            #expect(try scalarInt(connection, "SELECT count(*) FROM pragma_index_list('idempotency_keys')") == 0)
        }
    }

    // MARK: Chunked creations

    @Test func duplicateOfAChunkedCreation_waitsForIt_andReplaysItsResponse() throws {
        try withTemporaryDirectory { directory in
            try withWriter(directory, configure: { $0.seatsPerChunk = 10 }) { (writer: Writer) throws in
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                let key = IdempotencyClaim(scope: scope("admin", "e1", route: "/v1/events"), fingerprint: [1])
                let other = IdempotencyClaim(scope: key.scope, fingerprint: [2])
                let boxes = (0..<3).map { _ in ResponseBox() }
                #expect(writer.submit(boxes[0].command(.createEvent(eventSpec("evt_big", seats: [50])), claim: key)))
                #expect(writer.submit(boxes[1].command(.createEvent(eventSpec("evt_big", seats: [50])), claim: key)))
                #expect(writer.submit(boxes[2].command(.createEvent(eventSpec("evt_other", seats: [5])), claim: other)))
                gate.open()
                let created = try #require(boxes[0].wait())
                let duplicate = try #require(boxes[1].wait())
                let conflict = try #require(boxes[2].wait())
                #expect(created.status == 201 && !created.isReplay)
                #expect(duplicate.isReplay && duplicate.withoutReplayHeader == created)
                #expect(conflict.status == 409 && text(conflict) == "IDEMPOTENCY_CONFLICT")
                #expect(try scalarInt(openTestConnection(directory), "SELECT count(*) FROM events") == 2, "gate and evt_big")

                // Later retries find the stored row like any other.
                let later = try submit(writer, .createEvent(eventSpec("evt_big", seats: [50])), claim: key)
                #expect(later.withoutReplayHeader == created)
                #expect(writer.statistics.idempotencyReplays == 2)
            }
        }
    }
}

/// The in-memory index and the response blob on their own.
@Suite struct IdempotencyIndexTests {
    @Test func purgeCandidates_stopAtTheFirstLiveRow_andRespectTheLimit() {
        var index = IdempotencyIndex()
        for seq in 1...5 {
            index.insert(scope: "s\(seq)", seq: Int64(seq), expiresAtMs: Int64(seq) * 10)
        }
        #expect(index.purgeCandidates(atMs: 5, limit: 10) == nil)
        #expect(index.purgeCandidates(atMs: 30, limit: 10)! == (3, 3))
        #expect(index.purgeCandidates(atMs: 30, limit: 2)! == (2, 2))
        index.dropPurged(2)
        #expect(index.count == 3 && index.storedRows == 3)
        #expect(index.candidates("s1", atMs: 0).isEmpty)
        #expect(!index.candidates("s3", atMs: 29).isEmpty && index.candidates("s3", atMs: 30).isEmpty, "expired before purged")
    }

    @Test func aReclaimedScope_hasItsNewEntryAfterThePurgeOfItsOldRow() {
        var index = IdempotencyIndex()
        index.insert(scope: "a", seq: 1, expiresAtMs: 10)
        index.insert(scope: "a", seq: 2, expiresAtMs: 50)
        #expect(index.candidates("a", atMs: 5) == [IdempotencyIndex.Entry(seq: 2, expiresAtMs: 50), IdempotencyIndex.Entry(seq: 1, expiresAtMs: 10)])
        index.dropPurged(1)
        #expect(index.candidates("a", atMs: 20) == [IdempotencyIndex.Entry(seq: 2, expiresAtMs: 50)])

        index.undoInsert()
        #expect(index.count == 0 && index.storedRows == 0)
        #expect(index.candidates("a", atMs: 20).isEmpty)
    }

    @Test func nextSeq_neverGoesBack_evenWhenEveryRowIsPurged() {
        var index = IdempotencyIndex()
        index.restore(seq: 7, scope: "old", expiresAtMs: 5, nowMs: 10)
        index.restore(seq: 9, scope: "live", expiresAtMs: 50, nowMs: 10)
        #expect(index.count == 1 && index.storedRows == 2)
        #expect(index.nextSeq == 10)
        index.dropPurged(2)
        #expect(index.nextSeq == 10)
        #expect(index.count == 0, "the purge took the live row's entry with it")
    }

    @Test func digestTable_agreesWithAModel_throughGrowthShrinkingAndRemovalsInRuns() {
        var random = SeededGenerator(seed: 20261202)
        var table = DigestTable()
        var model: [UInt64: [Int64]] = [:]
        var pairs: [(UInt64, Int64)] = []
        // Few distinct digests with small low bits make long runs and repeated digests, the cases
        // deletion by backward shift must get right.
        for step in 0..<60_000 {
            if pairs.isEmpty || (step < 40_000 ? UInt64.random(in: 0..<3, using: &random) > 0 : UInt64.random(in: 0..<3, using: &random) == 0) {
                let digest = UInt64.random(in: 1...5_000, using: &random) << (UInt64.random(in: 0..<2, using: &random) * 20)
                let seq = Int64(step)
                table.insert(digest: digest, seq: seq)
                model[digest, default: []].append(seq)
                pairs.append((digest, seq))
            } else {
                let victim = pairs.remove(at: Int.random(in: 0..<pairs.count, using: &random))
                table.remove(digest: victim.0, seq: victim.1)
                model[victim.0]?.removeAll { $0 == victim.1 }
            }
            if step % 997 == 0 || step == 59_999 {
                #expect(table.count == pairs.count)
                for digest in model.keys.prefix(200) {
                    var seen: [UInt32] = []
                    table.forEachSeq(of: digest) { seen.append($0) }
                    #expect(seen.sorted() == (model[digest] ?? []).map { UInt32($0) }.sorted(), "digest \(digest) at step \(step)")
                }
            }
        }
    }

    @Test func chunkedQueue_keepsOrderAndIndexesAcrossChunks() {
        var queue = ChunkedQueue<Int>()
        for value in 0..<10_000 { queue.append(value) }
        #expect(queue.count == 10_000 && queue[9_999] == 9_999 && queue.first == 0)
        queue.removeFirst(5_000)
        #expect(queue.startIndex == 5_000 && queue[5_000] == 5_000 && queue.first == 5_000 && queue.last == 9_999)
        #expect(queue.capacity <= 10_000 - 4_096 + 4_096)
        #expect(queue.removeLast() == 9_999 && queue.count == 4_999)
        queue.removeFirst(4_999)
        #expect(queue.isEmpty && queue.capacity == 0)
        queue.append(42)
        #expect(queue.first == 42 && queue[queue.startIndex] == 42)
    }

    @Test func memoryPerRememberedKey_isAtMost64Bytes() {
        // Just past a doubling of the table is the worst case (about 367,002 keys in 2^20 slots).
        var index = IdempotencyIndex()
        var seq = 0
        for checkpoint in [10_000, 200_000, 367_100] {
            while seq < checkpoint {
                seq += 1
                index.insert(scope: "caller\u{0}POST\u{0}/v1/reservations\u{0}key-\(seq)", seq: Int64(seq), expiresAtMs: 1_000_000)
            }
            let perKey = Double(index.memoryBytes) / Double(seq)
            #expect(perKey <= 64, "\(perKey) bytes per key with \(seq) keys")
        }
    }

    @Test func record_roundTripsHeadersAndBody() throws {
        let response = RenderedResponse(
            status: 201,
            headers: [ResponseHeader(name: "Location", value: "/v1/reservations/rsv_1"), ResponseHeader(name: "X-Ü", value: "")],
            body: Array(#"{"ok":true}"#.utf8) + [0, 255])
        let blob = try #require(IdempotencyRecord.encode(response))
        #expect(IdempotencyRecord.decode(code: 201, blob) == response)
        #expect(IdempotencyRecord.decode(code: 204, try #require(IdempotencyRecord.encode(RenderedResponse(status: 204))))
            == RenderedResponse(status: 204))
        for cut in 0..<(blob.count - response.body.count) {
            #expect(IdempotencyRecord.decode(code: 201, Array(blob.prefix(cut))) == nil, "cut at \(cut)")
        }
        var otherVersion = blob
        otherVersion[0] = 2
        #expect(IdempotencyRecord.decode(code: 201, otherVersion) == nil)
    }
}
