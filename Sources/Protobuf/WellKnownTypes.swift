import JSON
import Timing

/// Messages of the `google.protobuf` package.
public enum GoogleProtobuf {}

extension GoogleProtobuf {
    /// A point in time: seconds since 1970-01-01T00:00:00Z plus non-negative nanoseconds, valid
    /// from 0001-01-01 to 9999-12-31. In JSON, an RFC 3339 string such as `"2026-01-01T12:01:00Z"`.
    public struct Timestamp: ProtoMessage, Comparable {
        public var seconds: Int64 = 0
        /// 0 to 999,999,999, also for times before 1970.
        public var nanos: Int32 = 0

        public init() {}

        /// A timestamp `seconds` and `nanos` after 1970-01-01T00:00:00Z.
        public init(seconds: Int64, nanos: Int32 = 0) {
            self.seconds = seconds
            self.nanos = nanos
        }

        /// The timestamp `milliseconds` after 1970-01-01T00:00:00Z (negative: before).
        public init(milliseconds: Int64) {
            let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
            seconds = remainder < 0 ? quotient - 1 : quotient
            nanos = Int32(remainder < 0 ? remainder + 1000 : remainder) * 1_000_000
        }

        /// Milliseconds since 1970-01-01T00:00:00Z, sub-millisecond nanos dropped.
        public var milliseconds: Int64 {
            seconds &* 1000 &+ Int64(nanos / 1_000_000)
        }

        /// 0001-01-01T00:00:00Z, the earliest valid timestamp.
        public static let secondsMin: Int64 = -62_135_596_800
        /// 9999-12-31T23:59:59Z, the second of the latest valid timestamp.
        public static let secondsMax: Int64 = 253_402_300_799

        public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
            (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
        }

        public static let protoName = "google.protobuf.Timestamp"
        public static let schema = ProtoSchema<Timestamp>(
            [
                .scalar(1, "seconds", \.seconds),
                .scalar(2, "nanos", \.nanos),
            ],
            customJSON: CustomJSON(
                write: { timestamp, writer in writer.string(timestamp.rfc3339) },
                read: { (value) throws(ProtoError) -> Timestamp in
                    guard case .string(let text) = value else {
                        throw ProtoError(.jsonTypeMismatch(expected: "an RFC 3339 timestamp string"))
                    }
                    return try Timestamp(rfc3339: text)
                }
            )
        )
    }
}

extension GoogleProtobuf.Timestamp {
    /// The proto3 JSON form: UTC with `Z`, and 0, 3, 6 or 9 fraction digits — the fewest that
    /// show the nanos exactly (proto3 JSON spec: "Timestamp").
    ///
    /// Values outside the valid range are clamped into it (protobuf's own encoders refuse them;
    /// this writer cannot fail, and the server only makes valid ones).
    public var rfc3339: String {
        let seconds = min(max(seconds, Self.secondsMin), Self.secondsMax)
        let nanos = Int64(min(max(nanos, 0), 999_999_999))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(30)
        RFC3339.append(milliseconds: seconds * 1000, to: &bytes)
        bytes.removeLast(5)  // ".000Z"
        if nanos != 0 {
            bytes.append(UInt8(ascii: "."))
            let (digits, value): (Int, Int64) =
                nanos % 1_000_000 == 0 ? (3, nanos / 1_000_000) : nanos % 1000 == 0 ? (6, nanos / 1000) : (9, nanos)
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]` followed by `Z` or `±HH:MM` (RFC 3339 §5.6), with
    /// 0 to 9 fraction digits; the result must fall in 0001-01-01T00:00:00Z...9999-12-31T23:59:59.999999999Z.
    public init(rfc3339 text: String) throws(ProtoError) {
        let bytes = Array(text.utf8)
        var index = 0
        func fail(_ detail: String) -> ProtoError {
            ProtoError(.invalidTimestamp("\"\(ProtoError.abbreviate(text))\": \(detail)"))
        }
        func digits(_ count: Int) throws(ProtoError) -> Int64 {
            guard index + count <= bytes.count else { throw fail("too short") }
            var value: Int64 = 0
            for _ in 0..<count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { throw fail("expected a digit at byte \(index)") }
                value = value * 10 + Int64(digit)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) throws(ProtoError) {
            guard index < bytes.count, bytes[index] == byte else {
                throw fail("expected '\(Character(Unicode.Scalar(byte)))' at byte \(index)")
            }
            index += 1
        }

        let year = try digits(4)
        try expect(UInt8(ascii: "-"))
        let month = try digits(2)
        try expect(UInt8(ascii: "-"))
        let day = try digits(2)
        try expect(UInt8(ascii: "T"))
        let hour = try digits(2)
        try expect(UInt8(ascii: ":"))
        let minute = try digits(2)
        try expect(UInt8(ascii: ":"))
        let second = try digits(2)
        var nanos: Int64 = 0
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            var count = 0
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                guard count < 9 else { throw fail("more than 9 fraction digits") }
                nanos = nanos * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                count += 1
                index += 1
            }
            guard count > 0 else { throw fail("no digits after '.'") }
            for _ in count..<9 { nanos *= 10 }
        }
        var offsetSeconds: Int64 = 0
        guard index < bytes.count else { throw fail("missing time zone (Z or ±HH:MM)") }
        switch bytes[index] {
        case UInt8(ascii: "Z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            index += 1
            let offsetHour = try digits(2)
            try expect(UInt8(ascii: ":"))
            let offsetMinute = try digits(2)
            guard offsetHour <= 23 && offsetMinute <= 59 else { throw fail("time zone offset out of range") }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        default:
            throw fail("missing time zone (Z or ±HH:MM)")
        }
        guard index == bytes.count else { throw fail("unexpected text after the time zone") }

        guard month >= 1 && month <= 12 else { throw fail("month out of range") }
        guard day >= 1 && day <= Self.daysInMonth(year: year, month: month) else { throw fail("day out of range") }
        // Leap seconds (60) cannot be represented: Timestamp uses smeared time.
        guard hour <= 23 && minute <= 59 && second <= 59 else { throw fail("time of day out of range") }
        // The local time minus its offset from UTC is the UTC time.
        let seconds = Self.daysSinceEpoch(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60 + second - offsetSeconds
        guard seconds >= Self.secondsMin && seconds <= Self.secondsMax else {
            throw fail("outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z")
        }
        self.init(seconds: seconds, nanos: Int32(nanos))
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date in years 0000...9999.
    ///
    /// Counts years from March, so that the leap day ends each counted year: then the days
    /// before a month follow the fixed 31/30 pattern (153 days per five months), and the leap
    /// days before a year are year/4 - year/100 + year/400. 719,468 days separate 0000-03-01
    /// from 1970-01-01.
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let marchYear = month <= 2 ? year - 1 : year
        let monthFromMarch = month <= 2 ? month + 9 : month - 3
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        // marchYear is at least -1 (January 0000); shift by 400 years to keep the divisions non-negative.
        let shiftedYear = marchYear + 400
        let daysBeforeYear = 365 * shiftedYear + shiftedYear / 4 - shiftedYear / 100 + shiftedYear / 400
        return daysBeforeYear + dayOfYear - 146_097 - 719_468
    }
}

extension GoogleProtobuf {
    /// A message of any type: its type URL and its binary encoding.
    ///
    /// JSON for Any is not implemented: the proto3 mapping inlines the packed message's fields,
    /// which needs a registry of message types. The JSON writer emits a form of its own,
    /// `{"@type": url, "value": "<base64 of the bytes>"}`, and the JSON reader refuses Any.
    public struct `Any`: ProtoMessage {
        /// `type.googleapis.com/` followed by the packed message's full name.
        public var typeURL = ""
        /// The packed message's binary encoding.
        public var value: [UInt8] = []

        public init() {}

        /// Packs `message`.
        public init<Message: ProtoMessage>(packing message: Message) {
            typeURL = "type.googleapis.com/" + Message.protoName
            value = message.serializedBytes()
        }

        /// Whether this holds a `Message`: the type URL's last segment is its full name.
        public func holds<Message: ProtoMessage>(_ type: Message.Type) -> Bool {
            let name = typeURL.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
            return name == Message.protoName
        }

        /// The packed message, or nil when it is of another type.
        public func unpack<Message: ProtoMessage>(_ type: Message.Type, limits: ProtoLimits = .default) throws(ProtoError) -> Message? {
            guard holds(type) else { return nil }
            return try Message(serializedBytes: value, limits: limits)
        }

        public static let protoName = "google.protobuf.Any"
        public static let schema = ProtoSchema<GoogleProtobuf.`Any`>(
            [
                .scalar(1, "type_url", \.typeURL),
                .scalar(2, "value", \.value),
            ],
            customJSON: CustomJSON(
                write: { message, writer in
                    writer.beginObject()
                    writer.key("@type")
                    writer.string(message.typeURL)
                    writer.key("value")
                    message.value.writeProtoJSON(to: &writer)
                    writer.endObject()
                },
                read: { (_) throws(ProtoError) -> GoogleProtobuf.`Any` in
                    throw ProtoError(.unsupported("JSON for google.protobuf.Any"))
                }
            )
        )
    }
}

/// Messages of the `google.rpc` package that gRPC error details use.
public enum GoogleRPC {
    /// An error: a gRPC status code, a developer-facing message, and typed details.
    /// (Its JSON form is not supported, since its details are `Any`.)
    public struct Status: ProtoMessage {
        /// A gRPC status code (3 INVALID_ARGUMENT, 10 ABORTED, …).
        public var code: Int32 = 0
        public var message = ""
        public var details: [GoogleProtobuf.`Any`] = []

        public init() {}

        public static let protoName = "google.rpc.Status"
        public static let schema = ProtoSchema<Status>([
            .scalar(1, "code", \.code),
            .scalar(2, "message", \.message),
            .repeatedMessage(3, "details", \.details),
        ])
    }

    /// Why an error happened: a reason code, the domain that defines it, and context.
    public struct ErrorInfo: ProtoMessage {
        /// An UPPER_SNAKE_CASE code, e.g. `SEAT_UNAVAILABLE`.
        public var reason = ""
        /// Who defines `reason`, e.g. `reservation.v1`.
        public var domain = ""
        public var metadata: [String: String] = [:]

        public init() {}

        public static let protoName = "google.rpc.ErrorInfo"
        public static let schema = ProtoSchema<ErrorInfo>([
            .scalar(1, "reason", \.reason),
            .scalar(2, "domain", \.domain),
            .map(3, "metadata", \.metadata),
        ])
    }
}
