import Foundation
import TestSupport
import Testing

@Suite struct EventAPITests {
    static let concert = #"{"eventId":"evt_test_1","name":"Concert","currency":"KRW","sections":[{"name":"A","seats":12,"price":10000},{"name":"B","seats":5,"price":5000}]}"#

    @Test func create_returns201WithTheEventAsGetShowsIt() throws {
        let harness = try APIHarness()
        let created = try harness.request("POST", "/v1/events", json: Self.concert)
        #expect(created.status == 201)
        #expect(created.header("location") == "/v1/events/evt_test_1")
        let shown = try harness.request("GET", "/v1/events/evt_test_1")
        #expect(shown.status == 200)
        #expect(shown.bodyText == created.bodyText)
        #expect(shown.json["totalSeats"] as? Int == 17)
        #expect(shown.json["available"] as? Int == 17)
        #expect(shown.json["held"] as? Int == 0)
        #expect(shown.json["sold"] as? Int == 0)
        let sections = try #require(shown.json["sections"] as? [[String: Any]])
        #expect(sections.map { $0["name"] as? String } == ["A", "B"])
        #expect(sections.map { $0["seats"] as? Int } == [12, 5])
        #expect(sections.map { $0["price"] as? Int } == [10000, 5000])
        #expect((shown.json["createdAt"] as? String)?.hasSuffix("Z") == true)
    }

    @Test func create_withoutAnId_generatesATimeOrderedOne() throws {
        let harness = try APIHarness()
        let first = try harness.request("POST", "/v1/events", json: #"{"name":"x","currency":"USD","sections":[{"name":"A","seats":1,"price":1}]}"#)
        let second = try harness.request("POST", "/v1/events", json: #"{"name":"y","currency":"USD","sections":[{"name":"A","seats":1,"price":1}]}"#)
        let firstID = try #require(first.json["eventId"] as? String)
        let secondID = try #require(second.json["eventId"] as? String)
        #expect(firstID.hasPrefix("evt_"))
        #expect(firstID < secondID)
    }

    @Test func duplicateId_isConflict() throws {
        let harness = try APIHarness()
        #expect(try harness.request("POST", "/v1/events", json: Self.concert).status == 201)
        let again = try harness.request("POST", "/v1/events", json: Self.concert)
        #expect(again.status == 409)
        #expect(again.errorCode == "EVENT_ALREADY_EXISTS")
    }

    @Test func invalidFields_areListedInDetails() throws {
        let harness = try APIHarness()
        let response = try harness.request("POST", "/v1/events", json: #"{"name":"","currency":"won","sections":[{"name":"A!","seats":0,"price":-1},{"name":"B","seats":"ten","price":1}]}"#)
        #expect(response.status == 400)
        #expect(response.errorCode == "INVALID_REQUEST")
        let details = try #require((response.json["error"] as? [String: Any])?["details"] as? [String: String])
        for field in ["name", "currency", "sections[1].seats"] { #expect(details[field] != nil, "missing \(field) in \(details)") }
    }

    @Test func tooManySeats_isRefused() throws {
        let harness = try APIHarness()
        let response = try harness.request("POST", "/v1/events", json: #"{"name":"big","currency":"USD","sections":[{"name":"A","seats":1000001,"price":1}]}"#)
        #expect(response.status == 400)
        #expect(response.errorCode == "INVALID_REQUEST")
    }

    @Test func malformedJSON_isBadRequest_andDuplicateKeysToo() throws {
        let harness = try APIHarness()
        #expect(try harness.request("POST", "/v1/events", json: #"{"name": "#).errorCode == "BAD_REQUEST")
        #expect(try harness.request("POST", "/v1/events", json: #"{"name":"a","name":"b"}"#).errorCode == "BAD_REQUEST")
        #expect(try harness.request("POST", "/v1/events", json: "[]").errorCode == "BAD_REQUEST")
    }

    @Test func nonJSONBody_isUnsupportedMediaType() throws {
        let harness = try APIHarness()
        let response = try harness.request("POST", "/v1/events", json: Self.concert, headers: ["Content-Type": "text/plain"])
        #expect(response.status == 415)
        #expect(response.errorCode == "UNSUPPORTED_MEDIA_TYPE")
    }

    @Test func unknownEvent_isNotFoundEverywhere() throws {
        let harness = try APIHarness()
        for path in ["/v1/events/evt_nope", "/v1/events/evt_nope/availability", "/v1/events/evt_nope/seats"] {
            let response = try harness.request("GET", path)
            #expect(response.status == 404, "\(path)")
            #expect(response.errorCode == "EVENT_NOT_FOUND", "\(path)")
        }
    }

    @Test func availability_sumsToTheTotal() throws {
        let harness = try APIHarness()
        _ = try harness.request("POST", "/v1/events", json: Self.concert)
        let response = try harness.request("GET", "/v1/events/evt_test_1/availability")
        #expect(response.status == 200)
        let json = response.json
        #expect(json["eventId"] as? String == "evt_test_1")
        #expect(json["totalSeats"] as? Int == 17)
        let sum = (json["available"] as? Int ?? 0) + (json["held"] as? Int ?? 0) + (json["sold"] as? Int ?? 0)
        #expect(sum == 17)
        let sections = try #require(json["sections"] as? [[String: Any]])
        #expect(sections.map { $0["available"] as? Int } == [12, 5])
    }

    @Test func seats_pagesThroughEverySeatInOrder() throws {
        let harness = try APIHarness()
        _ = try harness.request("POST", "/v1/events", json: Self.concert)
        var seen: [String] = []
        var cursor: String?
        repeat {
            let path = "/v1/events/evt_test_1/seats?limit=5" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try harness.request("GET", path)
            #expect(page.status == 200)
            let seats = try #require(page.json["seats"] as? [[String: Any]])
            seen += seats.compactMap { $0["seatId"] as? String }
            for seat in seats {
                #expect(seat["status"] as? String == "AVAILABLE")
                #expect(seat["price"] is Int)
            }
            cursor = page.json["nextCursor"] as? String
        } while cursor != nil
        #expect(seen == (1...12).map { "A-\($0)" } + (1...5).map { "B-\($0)" })
        let onlyB = try harness.request("GET", "/v1/events/evt_test_1/seats?section=B&status=AVAILABLE&limit=1000")
        #expect((onlyB.json["seats"] as? [[String: Any]])?.count == 5)
    }

    @Test(arguments: ["limit=0", "limit=1001", "limit=x", "status=FREE"])
    func seats_badQuery_isInvalid(query: String) throws {
        let harness = try APIHarness()
        _ = try harness.request("POST", "/v1/events", json: Self.concert)
        let response = try harness.request("GET", "/v1/events/evt_test_1/seats?\(query)")
        #expect(response.status == 400)
        #expect(response.errorCode == "INVALID_REQUEST")
    }

    @Test func beforeReadiness_v1AnswersServiceUnavailableWithRetryAfter() throws {
        let harness = try APIHarness(ready: false)
        let response = try harness.request("GET", "/v1/events/evt_test_1")
        #expect(response.status == 503)
        #expect(response.header("retry-after") == "1")
        #expect(response.errorCode == "SERVICE_UNAVAILABLE")
        #expect(try harness.request("GET", "/actuator/health/readiness").status == 503)
        #expect(try harness.request("GET", "/health").status == 200)
        harness.readiness.markReady()
        #expect(try harness.request("GET", "/actuator/health/readiness").status == 200)
        harness.readiness.markDraining()
        #expect(try harness.request("GET", "/actuator/health/readiness").status == 503)
    }
}
