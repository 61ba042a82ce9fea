import JSON

/// Why a protobuf message (binary or JSON) was rejected, and in which field.
public struct ProtoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of rejection.
    public enum Reason: Equatable, Sendable {
        /// The input ends inside a tag, varint, fixed-width value or length-delimited field.
        case truncated
        /// A varint longer than 10 bytes, or one whose 10th byte sets bits beyond 64.
        case malformedVarint
        /// Field number 0 or above 2^29-1 (encoding spec: "Message Structure").
        case invalidFieldNumber(UInt64)
        /// Wire types 6 and 7 do not exist.
        case invalidWireType(UInt8)
        /// Wire types 3 and 4 (SGROUP, EGROUP): groups are a proto2 feature these messages never use.
        case groupNotSupported
        /// A known field arrived with another wire type than its declaration gives.
        case wireTypeMismatch(expected: ProtoWireType, found: ProtoWireType)
        /// A string field holds bytes that are not UTF-8 (proto3 requires valid UTF-8).
        case invalidUTF8
        /// Messages nested deeper than the limit.
        case depthLimitExceeded(Int)
        /// A message larger than the limit, in bytes.
        case messageTooLarge(Int)
        /// The JSON text itself is malformed.
        case invalidJSON(JSONError)
        /// A JSON value of the wrong kind, e.g. a number where a string belongs; names what was expected.
        case jsonTypeMismatch(expected: String)
        /// A JSON value of the right kind that does not fit the field, e.g. 2^31 for an int32.
        case invalidValue(String)
        /// An enum name the enum does not declare.
        case unknownEnumName(String)
        /// The same field given twice, by its JSON name and its proto name.
        case duplicateField
        /// A second member of a oneof in one JSON object; names the oneof.
        case oneofConflict(String)
        /// A timestamp outside RFC 3339 or outside 0001-01-01 to 9999-12-31.
        case invalidTimestamp(String)
        /// Bytes that are not base64 (standard or URL-safe, padded or not).
        case invalidBase64
        /// A conversion this codec does not implement.
        case unsupported(String)
    }

    /// What went wrong.
    public var reason: Reason
    /// Where: the message type, then the fields from the outside in, e.g.
    /// `reservation.v1.ListReservationsResponse.reservations[1].seats.price.amount`
    /// (array indexes appear for JSON input, where they are known). Empty before the
    /// error has left the codec's internals.
    public var fieldPath: String

    /// Creates an error for `reason` at `fieldPath`.
    public init(_ reason: Reason, fieldPath: String = "") {
        self.reason = reason
        self.fieldPath = fieldPath
    }

    /// A short human-readable message naming the field, e.g.
    /// `reservation.v1.ListReservationsRequest.status: unknown enum value name "HOLDD"`.
    public var message: String {
        fieldPath.isEmpty ? summary : "\(fieldPath): \(summary)"
    }

    /// Same as `message`.
    public var description: String { message }

    /// The error seen from one level further out: `component` is prepended to the path.
    func inside(_ component: String) -> ProtoError {
        var error = self
        if fieldPath.isEmpty {
            error.fieldPath = component
        } else if fieldPath.hasPrefix("[") {
            error.fieldPath = component + fieldPath
        } else {
            error.fieldPath = component + "." + fieldPath
        }
        return error
    }

    private var summary: String {
        switch reason {
        case .truncated: return "input ends inside a field"
        case .malformedVarint: return "malformed varint (longer than 10 bytes or above 64 bits)"
        case .invalidFieldNumber(let number): return "invalid field number \(number)"
        case .invalidWireType(let type): return "invalid wire type \(type)"
        case .groupNotSupported: return "groups (wire types 3 and 4) are not supported"
        case .wireTypeMismatch(let expected, let found): return "wire type \(found) where the field needs \(expected)"
        case .invalidUTF8: return "string is not valid UTF-8"
        case .depthLimitExceeded(let limit): return "messages nested deeper than \(limit) levels"
        case .messageTooLarge(let limit): return "message larger than \(limit) bytes"
        case .invalidJSON(let error): return "invalid JSON: \(error.message)"
        case .jsonTypeMismatch(let expected): return "expected \(expected)"
        case .invalidValue(let detail): return detail
        case .unknownEnumName(let name): return "unknown enum value name \"\(ProtoError.abbreviate(name))\""
        case .duplicateField: return "field given twice (by its JSON name and its proto name)"
        case .oneofConflict(let oneof): return "more than one member of oneof \(oneof) is set"
        case .invalidTimestamp(let detail): return "invalid timestamp: \(detail)"
        case .invalidBase64: return "invalid base64"
        case .unsupported(let what): return "not supported: \(what)"
        }
    }

    /// Keeps messages short even for huge names; the reason keeps the full text.
    static func abbreviate(_ text: String) -> String {
        text.unicodeScalars.count <= 64 ? text : String(text.unicodeScalars.prefix(64)) + "…"
    }
}

/// Resource limits applied while decoding untrusted messages, binary or JSON.
public struct ProtoLimits: Sendable, Equatable {
    /// Maximum size of the encoded message in bytes (binary or JSON text).
    public var messageBytesMax: Int
    /// Maximum nesting of embedded messages below the top-level message (a map entry counts as one level).
    ///
    /// Decoding recurses once per level, so this also bounds stack use.
    public var nestingDepthMax: Int

    /// Creates limits; unspecified ones take the default values.
    public init(messageBytesMax: Int = 4 << 20, nestingDepthMax: Int = 32) {
        self.messageBytesMax = messageBytesMax
        self.nestingDepthMax = nestingDepthMax
    }

    /// 4 MiB (gRPC's default maximum receive size) and 32 levels.
    public static let `default` = ProtoLimits()

    /// JSON parser limits that admit every document these limits admit: an object per message
    /// and an array per repeated field give two JSON levels per message level.
    var jsonLimits: JSONLimits {
        JSONLimits(maxDepth: 2 * nestingDepthMax + 2, maxDocumentBytes: messageBytesMax, maxStringBytes: messageBytesMax)
    }
}
