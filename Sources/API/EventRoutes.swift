import HTTPServer
import JSON
import Reservations
import Timing

/// `POST /v1/events`, `GET /v1/events/{eventId}`, `/availability` and `/seats` (API.md, "Events and inventory").
struct EventRoutes {
    let api: ReservationAPI

    func register(on router: inout RouterBuilder) {
        router.add(.post, "/v1/events") { context in api.guarded(&context) { context in create(&context) } }
        router.add(.get, "/v1/events/{eventId}") { context in api.guarded(&context) { context in show(&context) } }
        router.add(.get, "/v1/events/{eventId}/availability") { context in api.guarded(&context) { context in availability(&context) } }
        router.add(.get, "/v1/events/{eventId}/seats") { context in api.guarded(&context) { context in seats(&context) } }
    }

    private func create(_ context: inout RequestContext) -> HandlerResult {
        var body: BodyReader
        do { body = try BodyReader.parse(context) } catch { return .respond(error.response(&context)) }
        let eventID = body.string("eventId", required: false, maxLength: 68)
        let name = body.string("name", required: true, maxLength: 10_000) ?? ""
        let currency = body.string("currency", required: true, maxLength: 16) ?? ""
        var sections: [SectionSpec] = []
        if let items = body.array("sections", required: true) {
            for (position, item) in items.enumerated() {
                guard case .object(let section) = item else {
                    body.problems.append(FieldProblem(field: "sections[\(position)]", problem: "must be an object"))
                    continue
                }
                var reader = BodyReader(object: section)
                let sectionName = reader.string("name", required: true, maxLength: 64) ?? ""
                let seats = reader.integer("seats", required: true) ?? 0
                let price = reader.integer("price", required: true) ?? 0
                body.problems += reader.problems.map { FieldProblem(field: "sections[\(position)].\($0.field)", problem: $0.problem) }
                sections.append(SectionSpec(name: sectionName, seatCount: Int(clamping: seats), priceMinor: price))
            }
        }
        let newEvent = NewEvent(eventID: eventID, name: name, currency: currency, sections: sections)
        // Type problems first; the domain's rules for every field the body got right.
        let typed = Set(body.problems.map(\.field))
        let problems = body.problems + newEvent.validate().filter { !typed.contains($0.field) }
        if !problems.isEmpty {
            return .respond(Responses.domain(&context, .invalid(problems)))
        }
        let site = ErrorSite(&context)
        return api.submit(&context, .createEvent(newEvent)) { outcome in
            switch outcome {
            case .eventCreated(let event, let counts):
                return RenderedResponse(status: 201, headers: [ResponseHeader(name: "location", value: "/v1/events/\(event.id)")],
                                        body: Self.eventBody(event, counts))
            default:
                return site.render(outcome.error)
            }
        }
    }

    private func show(_ context: inout RequestContext) -> HandlerResult {
        lookup(&context) { event, counts in Self.eventBody(event, counts) }
    }

    private func availability(_ context: inout RequestContext) -> HandlerResult {
        lookup(&context) { event, counts in
            var writer = JSONWriter(reservingCapacity: 128 + 64 * counts.sections.count)
            writer.beginObject()
            writer.key("eventId"); writer.string(event.id)
            Self.writeTotals(&writer, counts)
            writer.key("sections")
            writer.beginArray()
            for section in counts.sections {
                writer.beginObject()
                writer.key("name"); writer.string(section.name)
                writer.key("available"); writer.int(section.available)
                writer.key("held"); writer.int(section.held)
                writer.key("sold"); writer.int(section.sold)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            return writer.bytes
        }
    }

    private func seats(_ context: inout RequestContext) -> HandlerResult {
        guard let eventID = context.parameter(0) else { return .respond(Responses.domain(&context, .eventNotFound)) }
        var problems: [FieldProblem] = []
        var status: SeatStatus?
        if let text = context.query("status") {
            status = SeatStatus(rawValue: text)
            if status == nil { problems.append(FieldProblem(field: "status", problem: "must be one of AVAILABLE, HELD, SOLD")) }
        }
        var limit = SeatListing.defaultLimit
        if let text = context.query("limit") {
            if let value = Int(text), (SeatListing.minLimit...SeatListing.maxLimit).contains(value) {
                limit = value
            } else {
                problems.append(FieldProblem(field: "limit", problem: "must be an integer between \(SeatListing.minLimit) and \(SeatListing.maxLimit)"))
            }
        }
        if !problems.isEmpty { return .respond(Responses.domain(&context, .invalid(problems))) }
        let page: SeatPage
        do {
            page = try api.inventory(context.loopIndex).seats(eventID: eventID, status: status, section: context.query("section"),
                                                               limit: limit, cursor: context.query("cursor"))
        } catch let error as DomainError {
            return .respond(Responses.domain(&context, error))
        } catch {
            api.logInternal(&context, error)
            return .respond(Responses.internalError(&context))
        }
        var writer = JSONWriter(reservingCapacity: 64 + 80 * page.seats.count)
        writer.beginObject()
        writer.key("seats")
        writer.beginArray()
        for seat in page.seats {
            writer.beginObject()
            writer.key("seatId"); writer.string(seat.seatID)
            writer.key("section"); writer.string(seat.section)
            writer.key("status"); writer.string(seat.status.rawValue)
            writer.key("price"); writer.int(seat.priceMinor)
            writer.endObject()
        }
        writer.endArray()
        writer.key("nextCursor")
        if let cursor = page.nextCursor { writer.string(cursor) } else { writer.null() }
        writer.endObject()
        return .respond(Responses.json(200, writer.bytes))
    }

    /// Answers 200 with `render(event, counts)`, or 404 when the event does not exist.
    private func lookup(_ context: inout RequestContext, render: (Event, InventoryCounts) -> [UInt8]) -> HandlerResult {
        guard let eventID = context.parameter(0) else { return .respond(Responses.domain(&context, .eventNotFound)) }
        do {
            guard let (event, counts) = try api.inventory(context.loopIndex).event(eventID) else {
                return .respond(Responses.domain(&context, .eventNotFound))
            }
            return .respond(Responses.json(200, render(event, counts)))
        } catch {
            api.logInternal(&context, error)
            return .respond(Responses.internalError(&context))
        }
    }

    static func eventBody(_ event: Event, _ counts: InventoryCounts) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256 + 64 * event.sections.count)
        writer.beginObject()
        writer.key("eventId"); writer.string(event.id)
        writer.key("name"); writer.string(event.name)
        writer.key("currency"); writer.string(event.currency)
        writeTotals(&writer, counts)
        writer.key("sections")
        writer.beginArray()
        for section in event.sections {
            writer.beginObject()
            writer.key("name"); writer.string(section.name)
            writer.key("seats"); writer.int(section.seatCount)
            writer.key("price"); writer.int(section.priceMinor)
            writer.endObject()
        }
        writer.endArray()
        writer.key("createdAt"); writer.string(RFC3339.format(milliseconds: event.createdAtMs))
        writer.endObject()
        return writer.bytes
    }

    private static func writeTotals(_ writer: inout JSONWriter, _ counts: InventoryCounts) {
        writer.key("totalSeats"); writer.int(counts.totalSeats)
        writer.key("available"); writer.int(counts.available)
        writer.key("held"); writer.int(counts.held)
        writer.key("sold"); writer.int(counts.sold)
    }
}
