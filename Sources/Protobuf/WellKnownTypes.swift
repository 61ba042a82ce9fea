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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(30)
        RFC3339.append(seconds: seconds, nanoseconds: Int64(nanos), to: &bytes)
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

        // Leap seconds (60) cannot be represented: Timestamp uses smeared time.
        guard let local = RFC3339.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else {
            throw fail("date or time of day out of range")
        }
        // The local time minus its offset from UTC is the UTC time.
        let seconds = local - offsetSeconds
        guard seconds >= Self.secondsMin && seconds <= Self.secondsMax else {
            throw fail("outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z")
        }
        self.init(seconds: seconds, nanos: Int32(nanos))
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
