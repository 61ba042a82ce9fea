import Bytes
import JSON

/// A Swift type that stores one proto3 scalar field: how its value is encoded (without the tag)
/// and how it looks in proto3 JSON.
///
/// Conforming types: `String` (string), `Int32` (int32), `Int64` (int64), `Bool` (bool),
/// `[UInt8]` (bytes) and every `ProtoEnum`.
public protocol ProtoScalar: Sendable, Equatable {
    /// The wire type of one value.
    static var protoWireType: ProtoWireType { get }
    /// The proto3 default (zero, false, empty), which implicit presence leaves off the wire.
    static var protoDefault: Self { get }
    /// Whether this is the default value.
    var isProtoDefault: Bool { get }
    /// Writes the value without its tag.
    func encodeProtoValue(to writer: inout ProtoWriter)
    /// Reads one value whose tag has been read.
    static func decodeProtoValue(from reader: inout ProtoReader) throws(ProtoError) -> Self
    /// Writes the value's proto3 JSON form.
    func writeProtoJSON(to writer: inout JSONWriter)
    /// Reads the value from its proto3 JSON form (`null` is handled by the caller).
    static func decodeProtoJSON(_ value: JSONValue) throws(ProtoError) -> Self
}

extension ProtoScalar {
    public var isProtoDefault: Bool { self == Self.protoDefault }
}

extension String: ProtoScalar {
    public static var protoWireType: ProtoWireType { .len }
    public static var protoDefault: String { "" }
    public var isProtoDefault: Bool { isEmpty }
    public func encodeProtoValue(to writer: inout ProtoWriter) { writer.writeString(self) }
    public static func decodeProtoValue(from reader: inout ProtoReader) throws(ProtoError) -> String {
        try reader.readString()
    }
    public func writeProtoJSON(to writer: inout JSONWriter) { writer.string(self) }
    public static func decodeProtoJSON(_ value: JSONValue) throws(ProtoError) -> String {
        guard case .string(let string) = value else { throw ProtoError(.jsonTypeMismatch(expected: "a string")) }
        return string
    }
}

extension Int32: ProtoScalar {
    public static var protoWireType: ProtoWireType { .varint }
    public static var protoDefault: Int32 { 0 }
    /// Negative values are sign-extended to 64 bits, so they always take 10 bytes (encoding spec: "Signed Integers").
    public func encodeProtoValue(to writer: inout ProtoWriter) {
        writer.writeVarint(UInt64(bitPattern: Int64(self)))
    }
    /// The spec reads an int32 from a varint by keeping the low 32 bits.
    public static func decodeProtoValue(from reader: inout ProtoReader) throws(ProtoError) -> Int32 {
        Int32(truncatingIfNeeded: try reader.readVarint())
    }
    public func writeProtoJSON(to writer: inout JSONWriter) { writer.int(Int64(self)) }
    public static func decodeProtoJSON(_ value: JSONValue) throws(ProtoError) -> Int32 {
        Int32(try ProtoJSON.integer(value, in: Int64(Int32.min)...Int64(Int32.max), typeName: "int32"))
    }
}

extension Int64: ProtoScalar {
    public static var protoWireType: ProtoWireType { .varint }
    public static var protoDefault: Int64 { 0 }
    public func encodeProtoValue(to writer: inout ProtoWriter) { writer.writeVarint(UInt64(bitPattern: self)) }
    public static func decodeProtoValue(from reader: inout ProtoReader) throws(ProtoError) -> Int64 {
        Int64(bitPattern: try reader.readVarint())
    }
    /// proto3 JSON writes 64-bit integers as decimal strings, since JavaScript numbers hold only 53 bits.
    public func writeProtoJSON(to writer: inout JSONWriter) { writer.string(String(self)) }
    public static func decodeProtoJSON(_ value: JSONValue) throws(ProtoError) -> Int64 {
        try ProtoJSON.integer(value, in: Int64.min...Int64.max, typeName: "int64")
    }
}

extension Bool: ProtoScalar {
    public static var protoWireType: ProtoWireType { .varint }
    public static var protoDefault: Bool { false }
    public func encodeProtoValue(to writer: inout ProtoWriter) { writer.writeVarint(self ? 1 : 0) }
    /// Any non-zero varint is true.
    public static func decodeProtoValue(from reader: inout ProtoReader) throws(ProtoError) -> Bool {
        try reader.readVarint() != 0
    }
    public func writeProtoJSON(to writer: inout JSONWriter) { writer.bool(self) }
    public static func decodeProtoJSON(_ value: JSONValue) throws(ProtoError) -> Bool {
        guard case .bool(let bool) = value else { throw ProtoError(.jsonTypeMismatch(expected: "true or false")) }
        return bool
    }
}

/// proto3 `bytes`; base64 in JSON.
extension Array: ProtoScalar where Element == UInt8 {
    public static var protoWireType: ProtoWireType { .len }
    public static var protoDefault: [UInt8] { [] }
    public var isProtoDefault: Bool { isEmpty }
    public func encodeProtoValue(to writer: inout ProtoWriter) { writer.writeLengthDelimited(self) }
    public static func decodeProtoValue(from reader: inout ProtoReader) throws(ProtoError) -> [UInt8] {
        Array(try reader.readLengthDelimited())
    }
    public func writeProtoJSON(to writer: inout JSONWriter) { writer.string(Base64.encode(self)) }
    public static func decodeProtoJSON(_ value: JSONValue) throws(ProtoError) -> [UInt8] {
        guard case .string(let string) = value else { throw ProtoError(.jsonTypeMismatch(expected: "a base64 string")) }
        guard let bytes = Base64.decode(string) else { throw ProtoError(.invalidBase64) }
        return bytes
    }
}

/// A proto3 enum: open, so any int32 is a value and unknown numbers survive a round trip.
///
/// Declare one as a struct over `Int32` with a static constant per value and a name table:
///
///     public struct SeatStatus: ProtoEnum {
///         public var rawValue: Int32
///         public init(rawValue: Int32) { self.rawValue = rawValue }
///         public static let available = SeatStatus(rawValue: 1)
///         public static let protoName = "common.v1.SeatStatus"
///         public static let protoValues: ProtoEnumValues = [0: "SEAT_STATUS_UNSPECIFIED", 1: "SEAT_STATUS_AVAILABLE"]
///     }
public protocol ProtoEnum: ProtoScalar, RawRepresentable, Hashable, CustomStringConvertible where RawValue == Int32 {
    init(rawValue: Int32)
    /// The enum's full name, e.g. `reservation.v1.ReservationStatus`.
    static var protoName: String { get }
    /// The declared values' names, as in the .proto file.
    static var protoValues: ProtoEnumValues { get }
}

/// The names of an enum's declared values, both ways.
public struct ProtoEnumValues: Sendable, ExpressibleByDictionaryLiteral {
    private let namesByNumber: [Int32: String]
    private let numbersByName: [String: Int32]

    /// Creates the table; numbers and names must each be unique.
    public init(dictionaryLiteral elements: (Int32, String)...) {
        var names: [Int32: String] = [:], numbers: [String: Int32] = [:]
        for (number, name) in elements {
            precondition(names.updateValue(name, forKey: number) == nil, "enum number \(number) named twice")
            precondition(numbers.updateValue(number, forKey: name) == nil, "enum name \(name) used twice")
        }
        namesByNumber = names
        numbersByName = numbers
    }

    /// The name declared for `number`, if any.
    public func name(of number: Int32) -> String? { namesByNumber[number] }
    /// The number declared for `name`, if any.
    public func number(named name: String) -> Int32? { numbersByName[name] }
    /// The declared numbers, ascending.
    public var numbers: [Int32] { namesByNumber.keys.sorted() }
}

extension ProtoEnum {
    /// The declared name of this value (`RESERVATION_STATUS_HOLD`), or nil for an unknown number.
    public var name: String? { Self.protoValues.name(of: rawValue) }

    /// The value declared with `name`, if any.
    public init?(name: String) {
        guard let number = Self.protoValues.number(named: name) else { return nil }
        self.init(rawValue: number)
    }

    /// The name, or the number when the value is unknown.
    public var description: String { name ?? String(rawValue) }

    public static var protoWireType: ProtoWireType { .varint }
    public static var protoDefault: Self { Self(rawValue: 0) }
    public var isProtoDefault: Bool { rawValue == 0 }
    public func encodeProtoValue(to writer: inout ProtoWriter) { rawValue.encodeProtoValue(to: &writer) }
    public static func decodeProtoValue(from reader: inout ProtoReader) throws(ProtoError) -> Self {
        Self(rawValue: try Int32.decodeProtoValue(from: &reader))
    }

    /// The name; an unknown number is written as a number (proto3 JSON spec: "Enum").
    public func writeProtoJSON(to writer: inout JSONWriter) {
        if let name { writer.string(name) } else { writer.int(Int64(rawValue)) }
    }

    /// A declared name or any int32 as a number (or a numeric string, as protobuf's Python library
    /// accepts). An undeclared name is an error, the spec's default when unknown fields are not
    /// being ignored — chosen so that a misspelt status is reported instead of read as UNSPECIFIED.
    public static func decodeProtoJSON(_ value: JSONValue) throws(ProtoError) -> Self {
        switch value {
        case .string(let string):
            if let number = protoValues.number(named: string) { return Self(rawValue: number) }
            if let number = try? ProtoJSON.integer(value, in: Int64(Int32.min)...Int64(Int32.max), typeName: "enum") {
                return Self(rawValue: Int32(number))
            }
            throw ProtoError(.unknownEnumName(string))
        case .int, .number:
            return Self(rawValue: Int32(try ProtoJSON.integer(value, in: Int64(Int32.min)...Int64(Int32.max), typeName: "enum")))
        default:
            throw ProtoError(.jsonTypeMismatch(expected: "an enum name or number"))
        }
    }
}
