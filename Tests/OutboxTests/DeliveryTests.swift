import Reservations
import Testing

@testable import Outbox

private func record(_ sequence: Int64, subject: String) -> OutboxRecord {
    OutboxRecord(sequence: sequence, id: "evn_\(sequence)", type: "reservation.created", subject: subject,
                 timeMs: 1_000 + sequence, traceparent: nil, data: "{}")
}

@Suite struct DeliveryScheduleTests {
    @Test func oneSubjectGoesInSequenceOrderOneAtATime() {
        var schedule = DeliverySchedule(capacity: 10)
        for sequence in 1...3 { schedule.add(record(Int64(sequence), subject: "rsv_a"), envelope: []) }
        let first = schedule.next(nowMs: 0)
        #expect(first?.record.sequence == 1)
        // The subject is busy: nothing else of it may go.
        #expect(schedule.next(nowMs: 0) == nil)
        schedule.finish(first!, .done)
        #expect(schedule.next(nowMs: 0)?.record.sequence == 2)
    }

    @Test func aRetryingSubjectDoesNotHoldUpOthers() {
        var schedule = DeliverySchedule(capacity: 10)
        schedule.add(record(1, subject: "rsv_a"), envelope: [])
        schedule.add(record(2, subject: "rsv_a"), envelope: [])
        schedule.add(record(3, subject: "rsv_b"), envelope: [])
        var a = schedule.next(nowMs: 0)!
        let b = schedule.next(nowMs: 0)!
        #expect(a.record.sequence == 1 && b.record.sequence == 3)
        a.attempts = 1
        schedule.finish(a, .retry(atMs: 500))
        schedule.finish(b, .done)
        // rsv_a's later event waits behind its failed head until the retry time.
        #expect(schedule.next(nowMs: 499) == nil)
        #expect(schedule.earliestRetryMs == 500)
        let again = schedule.next(nowMs: 500)
        #expect(again?.record.sequence == 1)
        #expect(again?.attempts == 1)
        schedule.finish(again!, .done)
        #expect(schedule.next(nowMs: 500)?.record.sequence == 2)
    }

    @Test func aDeadHeadLetsItsSubjectGoOn() {
        var schedule = DeliverySchedule(capacity: 10)
        schedule.add(record(1, subject: "rsv_a"), envelope: [])
        schedule.add(record(2, subject: "rsv_a"), envelope: [])
        let head = schedule.next(nowMs: 0)!
        schedule.finish(head, .done)  // dead: recorded elsewhere, gone from the schedule
        #expect(schedule.next(nowMs: 0)?.record.sequence == 2)
        #expect(schedule.count == 1)
    }

    @Test func eventsAreHeldOnceAndCapacityIsReported() {
        var schedule = DeliverySchedule(capacity: 2)
        let first = schedule.add(record(1, subject: "rsv_a"), envelope: [])
        let again = schedule.add(record(1, subject: "rsv_a"), envelope: [])
        #expect(first && !again)
        schedule.add(record(2, subject: "rsv_b"), envelope: [])
        #expect(schedule.room == 0)
        #expect(schedule.oldestTimeMs == 1_001)
    }

    @Test func aRevivedOlderEventGoesBeforeLaterOnesButNotBeforeOneInFlight() {
        var schedule = DeliverySchedule(capacity: 10)
        schedule.add(record(5, subject: "rsv_a"), envelope: [])
        schedule.add(record(6, subject: "rsv_a"), envelope: [])
        let inFlight = schedule.next(nowMs: 0)!
        schedule.add(record(2, subject: "rsv_a"), envelope: [])
        schedule.finish(inFlight, .done)
        #expect(schedule.next(nowMs: 0)?.record.sequence == 2)
    }
}

@Suite struct DeliveryPolicyTests {
    let policy = DeliveryPolicy()

    @Test func statusesAreClassifiedAsTheContractSays() {
        #expect(policy.decide(.answered(status: 200, retryAfterSeconds: nil), failures: 1, random: 0.5) == .delivered)
        #expect(policy.decide(.answered(status: 204, retryAfterSeconds: nil), failures: 1, random: 0.5) == .delivered)
        for status in [408, 429, 500, 503] {
            guard case .retry = policy.decide(.answered(status: status, retryAfterSeconds: nil), failures: 1, random: 0.5) else {
                Issue.record("\(status) should be retried")
                continue
            }
        }
        for status in [301, 400, 404, 410, 422] {
            guard case .dead = policy.decide(.answered(status: status, retryAfterSeconds: nil), failures: 1, random: 0.5) else {
                Issue.record("\(status) should be dead at once")
                continue
            }
        }
        guard case .retry = policy.decide(.timedOut, failures: 1, random: 0), case .retry = policy.decide(.connectionFailed("refused"), failures: 3, random: 0)
        else {
            Issue.record("timeouts and connection errors retry")
            return
        }
    }

    @Test func retryAfterIsHonouredAndAttemptsRunOut() {
        #expect(policy.decide(.answered(status: 429, retryAfterSeconds: 7), failures: 1, random: 0.9) == .retry(afterMilliseconds: 7_000))
        #expect(policy.decide(.answered(status: 503, retryAfterSeconds: 999_999), failures: 1, random: 0.9)
            == .retry(afterMilliseconds: policy.retryAfterMaxMilliseconds))
        guard case .dead(let reason) = policy.decide(.answered(status: 500, retryAfterSeconds: nil), failures: 20, random: 0.5) else {
            Issue.record("the 20th failure is dead")
            return
        }
        #expect(reason.contains("20 attempts"))
    }

    @Test func backoffIsFullJitterUnderADoublingCeilingCappedAtSixtySeconds() {
        #expect(policy.backoff(failures: 1, random: 1) == 250)
        #expect(policy.backoff(failures: 3, random: 1) == 1_000)
        #expect(policy.backoff(failures: 3, random: 0) == 0)
        #expect(policy.backoff(failures: 3, random: 0.5) == 500)
        #expect(policy.backoff(failures: 30, random: 1) == 60_000)
        #expect(policy.backoff(failures: 200, random: 1) == 60_000)
    }
}

@Suite struct WebhookTargetTests {
    @Test func httpURLsParse() throws {
        let plain = try WebhookTarget.parse("http://localhost:9000/hooks/outbox?x=1").get()
        #expect(plain.host == "localhost" && plain.port == 9000 && plain.path == "/hooks/outbox?x=1")
        let bare = try WebhookTarget.parse("http://example.test").get()
        #expect(bare.port == 80 && bare.path == "/" && bare.hostHeader == "example.test")
        let v6 = try WebhookTarget.parse("http://[::1]:8080/e").get()
        #expect(v6.host == "::1" && v6.port == 8080 && v6.hostHeader == "[::1]:8080")
    }

    @Test func otherURLsAreRefusedWithAReason() {
        for url in ["https://example.test/", "ftp://x/", "http://:80/", "http://host:0/", "http://host:99999/", "http://u@host/", "http://a b/"] {
            guard case .failure(let error) = WebhookTarget.parse(url) else {
                Issue.record("\(url) should be refused")
                continue
            }
            #expect(!error.reason.isEmpty)
        }
    }

    @Test func responseHeadsParse() {
        let head = ResponseHead(Array("HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nContent-Length: 12\r\nConnection: close\r\n\r\n".utf8))
        #expect(head?.status == 429 && head?.retryAfterSeconds == 3 && head?.contentLength == 12 && head?.keepAlive == false)
        let chunked = ResponseHead(Array("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n".utf8))
        #expect(chunked?.chunked == true && chunked?.keepAlive == true)
        #expect(ResponseHead(Array("garbage\r\n\r\n".utf8)) == nil)
        #expect(ResponseHead(Array("HTTP/1.1 99 x\r\n\r\n".utf8)) == nil)
    }
}
