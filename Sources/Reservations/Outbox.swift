import Timing

/// The outbox event types (API.md, "Outbox events").
public enum OutboxEventType: String, Sendable, Hashable, CaseIterable {
    /// A hold was made.
    case reservationCreated = "reservation.created"
    /// A hold was confirmed and an order created.
    case reservationConfirmed = "reservation.confirmed"
    /// A hold was cancelled by its owner.
    case reservationCancelled = "reservation.cancelled"
    /// A hold reached its deadline.
    case reservationExpired = "reservation.expired"
    /// A hold's deadline was moved later.
    case reservationExtended = "reservation.extended"
    /// An event and all its seats were stored (written when its last chunk of seats commits).
    case eventCreated = "event.created"
}

/// One stored outbox row: everything needed to rebuild its published envelope byte for byte.
///
/// The writer stores `data` as finished JSON text in the same transaction as the change, so a
/// redelivery (delivery is at least once) publishes exactly the same bytes, and the relay never
/// needs to read the reservation again.
public struct OutboxRecord: Sendable, Hashable {
    /// Global, increasing position (the table's INTEGER PRIMARY KEY); the envelope's `sequence`.
    public var sequence: Int64
    /// The event id (`evn_…`, time-ordered); consumers deduplicate on it.
    public var id: String
    /// `reservation.created`, …; text so that a relay passes on types it does not know.
    public var type: String
    /// The reservation or event id the event is about (CloudEvents `subject`); order is kept per subject.
    public var subject: String
    /// When the change was made: the writer's batch time, in wall-clock milliseconds.
    public var timeMs: Int64
    /// W3C trace context of the request that caused the change; nil for expiries.
    public var traceparent: String?
    /// The `data` member: a JSON object, as stored.
    public var data: String
    /// When a relay recorded delivery, if it has.
    public var deliveredAtMs: Int64?
    /// Failed delivery attempts recorded (only when the event was parked as dead).
    public var attempts: Int
    /// When delivery gave up on the event, if it has (a dead event; see `OutboxChange.retryDead`).
    public var deadAtMs: Int64?
    /// Why delivery gave up, for a dead event.
    public var lastError: String?

    /// The `source` of every envelope unless the relay says otherwise (a CloudEvents URI-reference).
    public static let defaultSource = "/reservation-server"

    /// Creates a record.
    public init(
        sequence: Int64, id: String, type: String, subject: String, timeMs: Int64, traceparent: String?,
        data: String, deliveredAtMs: Int64? = nil, attempts: Int = 0, deadAtMs: Int64? = nil, lastError: String? = nil
    ) {
        self.sequence = sequence
        self.id = id
        self.type = type
        self.subject = subject
        self.timeMs = timeMs
        self.traceparent = traceparent
        self.data = data
        self.deliveredAtMs = deliveredAtMs
        self.attempts = attempts
        self.deadAtMs = deadAtMs
        self.lastError = lastError
    }

    /// The type as a known case, or nil for a type this build does not know.
    public var eventType: OutboxEventType? { OutboxEventType(rawValue: type) }

    /// The published envelope, CloudEvents 1.0 structured JSON (API.md, "Outbox events"):
    /// `{"specversion","id","type","source","subject","time","sequence","traceparent"?,
    /// "datacontenttype","data"}` in that order, with `time` in RFC 3339 UTC with milliseconds,
    /// `sequence` a JSON integer (a CloudEvents Integer extension attribute) and `traceparent`
    /// present only when stored. Rebuilt from the stored columns the same way every time, so every
    /// consumer (pull, stream, webhook) and every redelivery gets the same bytes.
    public func envelopeJSON(source: String = OutboxRecord.defaultSource) -> [UInt8] {
        var json = JSONText(capacity: 320 + data.utf8.count)
        json.open()
        json.member("specversion", string: "1.0")
        json.member("id", string: id)
        json.member("type", string: type)
        json.member("source", string: source)
        json.member("subject", string: subject)
        json.member("time", string: RFC3339.format(milliseconds: timeMs))
        json.member("sequence", integer: sequence)
        if let traceparent { json.member("traceparent", string: traceparent) }
        json.member("datacontenttype", string: "application/json")
        // Stored as a finished object by `data(for:)`; copied, never re-encoded.
        json.member("data", raw: data)
        json.close()
        return json.bytes
    }

    /// The `data` object for an event about `reservation`, as it is after the change:
    /// `reservationId, eventId, userId, seatIds, quantity, status, holdExpiresAt, totalAmount,
    /// currency`, and `orderId` once confirmed.
    public static func data(for reservation: Reservation) -> String {
        var json = JSONText(capacity: 256 + 8 * reservation.seatIDs.count)
        json.open()
        json.member("reservationId", string: reservation.id)
        json.member("eventId", string: reservation.eventID)
        json.member("userId", string: reservation.userID)
        json.key("seatIds")
        json.array(of: reservation.seatIDs)
        json.member("quantity", integer: Int64(reservation.quantity))
        json.member("status", string: reservation.status.rawValue)
        json.member("holdExpiresAt", string: RFC3339.format(milliseconds: reservation.holdExpiresAtMs))
        json.member("totalAmount", integer: reservation.totalAmount)
        json.member("currency", string: reservation.currency)
        if let orderID = reservation.orderID { json.member("orderId", string: orderID) }
        json.close()
        return String(decoding: json.bytes, as: UTF8.self)
    }
}

extension OutboxRecord {
    /// The `data` object of `event.created`: `eventId, name, currency, totalSeats, sections` (name,
    /// seats, price) and `createdAt`, as `GET /v1/events/{id}` shows the definition.
    public static func data(for event: Event) -> String {
        var json = JSONText(capacity: 160 + 48 * event.sections.count)
        json.open()
        json.member("eventId", string: event.id)
        json.member("name", string: event.name)
        json.member("currency", string: event.currency)
        json.member("totalSeats", integer: Int64(event.totalSeats))
        json.key("sections")
        json.openArray()
        for (position, section) in event.sections.enumerated() {
            if position > 0 { json.comma() }
            json.open()
            json.member("name", string: section.name)
            json.member("seats", integer: Int64(section.seatCount))
            json.member("price", integer: section.priceMinor)
            json.close()
        }
        json.closeArray()
        json.member("createdAt", string: RFC3339.format(milliseconds: event.createdAtMs))
        json.close()
        return String(decoding: json.bytes, as: UTF8.self)
    }
}

/// A change to the outbox's delivery state, applied by the single writer like every change.
public enum OutboxChange: Sendable, Hashable {
    /// These events reached their receiver; they leave the backlog and may be pruned later.
    case delivered(sequences: [Int64])
    /// Delivery gave up on this event after `attempts` tries (`reason` says why); later events of
    /// its subject go on, and an operator may retry it (`retryDead`).
    case dead(sequence: Int64, attempts: Int, reason: String)
    /// Puts the dead event with this id back into the backlog, with its attempts reset.
    case retryDead(id: String)
    /// Deletes up to `limit` rows, oldest first, that are at least `beforeMs` old: delivered ones by
    /// their delivery time or, with `undeliveredToo` (nobody pushes; the pull feed is the only
    /// consumer), any row by its creation time. Dead rows are kept until retried or pruned by hand.
    case prune(beforeMs: Int64, limit: Int, undeliveredToo: Bool)
}

/// A minimal JSON object writer for the outbox shapes. The domain module does not depend on the
/// JSON module (it sits below it in the layers), and these two fixed shapes need only strings,
/// integers and one array.
struct JSONText {
    private(set) var bytes: [UInt8] = []
    /// Whether the next member needs a comma before it.
    private var needsComma = false

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func key(_ name: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = true
    }

    mutating func member(_ name: String, string value: String) {
        key(name)
        appendString(value)
    }

    mutating func member(_ name: String, integer value: Int64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A member whose value is already JSON text.
    mutating func member(_ name: String, raw value: String) {
        key(name)
        bytes.append(contentsOf: value.utf8)
    }

    mutating func openArray() {
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Separates array elements.
    mutating func comma() {
        bytes.append(UInt8(ascii: ","))
    }

    mutating func closeArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func array(of strings: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (position, string) in strings.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            appendString(string)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A JSON string (RFC 8259 §7): quote and backslash escaped, control characters as short escapes
    /// or `\u00XX`; everything else, including non-ASCII UTF-8, is copied as is.
    mutating func appendString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
