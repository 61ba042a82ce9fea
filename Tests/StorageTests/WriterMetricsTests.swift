import Foundation
import Metrics
import Reservations
@testable import Storage
import TestSupport
import Testing

/// The writer's Prometheus series, read back from the registry's text output.
@Suite struct WriterMetricsTests {
    @Test func afterKnownCommands_theScrapeShowsTheirCounts() throws {
        try withTemporaryDirectory { directory in
            let clock = TestClock()
            // Two loop shards plus the writer's, as the server sets it up.
            let registry = MetricsRegistry(shardCount: 3)
            try withWriter(directory, configure: {
                $0.clock = clock
                $0.metrics = registry
                $0.maxIdleWaitMilliseconds = 60_000
            }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_m", seats: [10])).status == 201)
                let sold = try heldReservation(hold(writer, "evt_m", seats: ["A-1", "A-2"]))
                #expect(try hold(writer, "evt_m", seats: ["A-2"]).error == .seatUnavailable)
                #expect(try confirm(writer, sold.id).order != nil)
                let cancelled = try heldReservation(hold(writer, "evt_m", seats: ["A-3"]))
                #expect(try cancel(writer, cancelled.id).reservation != nil)
                #expect(try cancel(writer, cancelled.id).error == .alreadyCancelled)
                #expect(try hold(writer, "evt_none").error == .eventNotFound)
                _ = try heldReservation(hold(writer, "evt_m", seats: ["A-4"], holdMilliseconds: 1_000))
                _ = try heldReservation(hold(writer, "evt_m", seats: ["A-5"]))
                // Idempotency: one stored, one replay, one conflict.
                #expect(try submit(writer, holdOperation("evt_m", seats: ["A-6"]), claim: claim("alice", "k")).status == 201)
                #expect(try submit(writer, holdOperation("evt_m", seats: ["A-6"]), claim: claim("alice", "k")).isReplay)
                #expect(
                    try submit(writer, holdOperation("evt_m"), claim: claim("alice", "k", fingerprint: "x")).status == 409)
                // A-4 expires 25 ms late, in the batch of the next command.
                clock.advance(byMilliseconds: 1_025)
                #expect(try hold(writer, "evt_none").error == .eventNotFound)

                let scrape = scrapeSamples(registry)
                #expect(scrape[#"reservation_outcomes_total{operation="hold",outcome="ok"}"#] == 5)
                #expect(scrape[#"reservation_outcomes_total{operation="hold",outcome="seat_unavailable"}"#] == 1)
                #expect(scrape[#"reservation_outcomes_total{operation="hold",outcome="event_not_found"}"#] == 2)
                #expect(scrape[#"reservation_outcomes_total{operation="confirm",outcome="ok"}"#] == 1)
                #expect(scrape[#"reservation_outcomes_total{operation="cancel",outcome="ok"}"#] == 1)
                #expect(scrape[#"reservation_outcomes_total{operation="cancel",outcome="reservation_already_cancelled"}"#] == 1)
                #expect(scrape[#"reservation_outcomes_total{operation="expire",outcome="ok"}"#] == 1)
                #expect(scrape["reservations_live_holds"] == 2)
                #expect(scrape[#"seats{event="evt_m",state="available"}"#] == 6)
                #expect(scrape[#"seats{event="evt_m",state="held"}"#] == 2)
                #expect(scrape[#"seats{event="evt_m",state="sold"}"#] == 2)
                #expect(scrape["outbox_backlog"] == Double(try allOutboxRows(directory).count))
                #expect(scrape["outbox_backlog"] == 9, "1 event created; 5 holds created, 1 confirmed, 1 cancelled, 1 expired")
                #expect(scrape["idempotency_replays_total"] == 1)
                #expect(scrape["idempotency_conflicts_total"] == 1)
                #expect(scrape["idempotency_entries"] == 1)
                #expect(scrape["writer_queue_depth"] == 0)
                #expect(scrape[#"reservation_expiry_lateness_seconds_count"#] == 1)
                #expect(scrape[#"reservation_expiry_lateness_seconds_sum"#] == 0.025)
                #expect(scrape[#"reservation_expiry_lateness_seconds_bucket{le="0.01"}"#] == 0)
                #expect(scrape[#"reservation_expiry_lateness_seconds_bucket{le="0.025"}"#] == 1)
                let batches = try #require(scrape["writer_batch_size_count"])
                #expect(batches >= 14 && batches <= Double(writer.statistics.batches))
                #expect(scrape[#"writer_batch_size_bucket{le="+Inf"}"#] == batches)
                #expect(scrape["writer_commit_seconds_count"] == Double(writer.statistics.batches))
            }
            // A restart counts the outbox backlog and seats again from storage.
            let again = MetricsRegistry(shardCount: 2)
            try withWriter(directory, configure: {
                $0.clock = clock
                $0.metrics = again
                $0.metricsShard = 0
            }) { _ in
                let scrape = scrapeSamples(again)
                #expect(scrape["outbox_backlog"] == 9)
                #expect(scrape[#"seats{event="evt_m",state="held"}"#] == 2)
                #expect(scrape["reservations_live_holds"] == 2)
                #expect(scrape["idempotency_entries"] == 1)
            }
        }
    }

    @Test func queueDepth_isReadAtScrapeTime() throws {
        try withTemporaryDirectory { directory in
            let registry = MetricsRegistry(shardCount: 1)
            try withWriter(directory, configure: { $0.metrics = registry }) { (writer: Writer) throws in
                let completions = Completions()
                let gate = Gate()
                #expect(writer.submit(completions.command("gate", eventSpec("evt_gate"), gate: gate)))
                #expect(gate.waitUntilEntered())
                for index in 0..<3 {
                    #expect(writer.submit(completions.command("e\(index)", eventSpec("evt_q\(index)"))))
                }
                #expect(scrapeSamples(registry)["writer_queue_depth"] == 3)
                gate.open()
                #expect(completions.waitFor(4))
                #expect(scrapeSamples(registry)["writer_queue_depth"] == 0)
            }
        }
    }

    @Test func seatSeries_stopAtTheFirstThousandEvents() {
        let registry = MetricsRegistry(shardCount: 1)
        let metrics = WriterMetrics(registry: registry, shard: 0)
        for key in 1...1_001 {
            let event = Event(
                key: Int64(key), id: "evt_\(key)", name: "E", currency: "KRW",
                sections: [Section(name: "A", seatCount: 2, priceMinor: 1)], createdAtMs: 0)
            metrics.setSeats(of: LiveEvent(event: event, index: SeatIndex(event: event)))
        }
        let scrape = scrapeSamples(registry)
        #expect(scrape[#"seats{event="evt_1000",state="available"}"#] == 2)
        #expect(scrape[#"seats{event="evt_1001",state="available"}"#] == nil)
        #expect(scrape.keys.filter { $0.hasPrefix("seats{") }.count == 3_000)
    }

    @Test(.enabled(if: Promtool.path != nil, "promtool is not installed"))
    func scrape_passesPromtoolCheckMetrics() throws {
        try withTemporaryDirectory { directory in
            let registry = MetricsRegistry(shardCount: 2)
            try withWriter(directory, configure: { $0.metrics = registry }) { (writer: Writer) throws in
                #expect(try create(writer, eventSpec("evt_p", seats: [10])).status == 201)
                _ = try heldReservation(hold(writer, "evt_p", quantity: 2))
                #expect(try hold(writer, "evt_p", seats: ["Z-1"]).error != nil)
                #expect(try submit(writer, holdOperation("evt_p"), claim: claim("alice", "k")).status == 201)
                #expect(try submit(writer, holdOperation("evt_p"), claim: claim("alice", "k")).isReplay)

                let (status, report) = try Promtool.checkMetrics(registry.render())
                #expect(status == 0, "promtool said: \(report)")
            }
        }
    }
}

