import JSON

/// A proto3 message: a Swift struct plus a field table that drives the binary encoding and
/// the proto3 JSON mapping.
///
/// Declare one as a struct with a stored property per field (scalars default to their zero
/// value, singular messages are optionals) and a schema listing the fields in field-number order:
///
///     public struct Money: ProtoMessage {
///         public var amount: Int64 = 0
///         public var currency = ""
///         public init() {}
///         public static let protoName = "common.v1.Money"
///         public static let schema = ProtoSchema<Money>([
///             .scalar(1, "amount", \.amount),
///             .scalar(2, "currency", \.currency),
///         ])
///     }
public protocol ProtoMessage: Sendable, Equatable {
    /// A message with every field at its default.
    init()
    /// The message's full name, e.g. `reservation.v1.CreateReservationRequest`.
    static var protoName: String { get }
    /// The fields, built once per type.
    static var schema: ProtoSchema<Self> { get }
}

extension ProtoMessage {
    /// A message built by `configure` from the default one: `Money.with { $0.amount = 100 }`.
    public static func with(_ configure: (inout Self) throws -> Void) rethrows -> Self {
        var message = Self()
        try configure(&message)
        return message
    }

    /// The deterministic binary encoding: fields in number order, proto3 defaults left out,
    /// present sub-messages written even when empty, map entries sorted by key. Equal messages
    /// give equal bytes, byte for byte what protobuf's `SerializeToString(deterministic=True)` gives.
    public func serializedBytes() -> [UInt8] {
        var writer = ProtoWriter()
        encodeFields(to: &writer)
        return writer.bytes
    }

    /// Decodes the binary encoding. Unknown fields are skipped (and dropped); a known field
    /// arriving with the wrong wire type is an error.
    public init(serializedBytes: UnsafeRawBufferPointer, limits: ProtoLimits = .default) throws(ProtoError) {
        guard serializedBytes.count <= limits.messageBytesMax else {
            throw ProtoError(.messageTooLarge(limits.messageBytesMax), fieldPath: Self.protoName)
        }
        self.init()
        var reader = ProtoReader(serializedBytes, limits: limits)
        do throws(ProtoError) {
            try Self.decodeFields(from: &reader, into: &self)
        } catch {
            throw error.inside(Self.protoName)
        }
    }

    /// Decodes the binary encoding from an array.
    public init(serializedBytes: [UInt8], limits: ProtoLimits = .default) throws(ProtoError) {
        self.init()
        var failure: ProtoError?
        serializedBytes.withUnsafeBytes { raw in
            do throws(ProtoError) {
                self = try Self(serializedBytes: raw, limits: limits)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// The proto3 JSON form, compact: lowerCamelCase names, default values left out.
    public func jsonBytes() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256)
        writeJSON(to: &writer)
        return writer.bytes
    }

    /// Writes the proto3 JSON form as one value.
    public func writeJSON(to writer: inout JSONWriter) {
        withUnsafePointer(to: self) { Self.writeJSON(at: UnsafeRawPointer($0), to: &writer) }
    }

    /// Decodes proto3 JSON text. Both a field's JSON name and its proto name are accepted;
    /// unknown members are ignored; `null` leaves a field at its default.
    public init(jsonBytes: UnsafeRawBufferPointer, limits: ProtoLimits = .default) throws(ProtoError) {
        guard jsonBytes.count <= limits.messageBytesMax else {
            throw ProtoError(.messageTooLarge(limits.messageBytesMax), fieldPath: Self.protoName)
        }
        let value: JSONValue
        do throws(JSONError) {
            value = try JSON.parse(jsonBytes, limits: limits.jsonLimits)
        } catch {
            throw ProtoError(.invalidJSON(error), fieldPath: Self.protoName)
        }
        try self.init(json: value, limits: limits)
    }

    /// Decodes proto3 JSON text from an array.
    public init(jsonBytes: [UInt8], limits: ProtoLimits = .default) throws(ProtoError) {
        self.init()
        var failure: ProtoError?
        jsonBytes.withUnsafeBytes { raw in
            do throws(ProtoError) {
                self = try Self(jsonBytes: raw, limits: limits)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Decodes a parsed proto3 JSON value.
    public init(json: JSONValue, limits: ProtoLimits = .default) throws(ProtoError) {
        do throws(ProtoError) {
            self = try Self.decodeJSON(json, limits: limits, depth: 0)
        } catch {
            throw error.inside(Self.protoName)
        }
    }
}

// The generic entry points only take a pointer to the message; the loops over its fields
// run in FieldTable, which is not generic, so they need no type metadata at run time.
extension ProtoMessage {
    func encodeFields(to writer: inout ProtoWriter) {
        withUnsafePointer(to: self) { Self.encodeFields(at: UnsafeRawPointer($0), to: &writer) }
    }

    /// Encodes the message stored at `message`, without copying it (a copy would retain each of its fields).
    static func encodeFields(at message: UnsafeRawPointer, to writer: inout ProtoWriter) {
        Self.schema.table.encode(message, to: &writer)
    }

    /// Writes the JSON form of the message stored at `message`.
    static func writeJSON(at message: UnsafeRawPointer, to writer: inout JSONWriter) {
        let schema = Self.schema
        if let custom = schema.customJSON {
            custom.write(message.assumingMemoryBound(to: Self.self).pointee, &writer)
        } else {
            schema.table.writeJSON(message, to: &writer)
        }
    }

    /// Reads fields up to the reader's end into `message`, merging into what it holds.
    static func decodeFields(from reader: inout ProtoReader, into message: inout Self) throws(ProtoError) {
        let table = Self.schema.table
        try withUnsafeMutablePointer(to: &message) { (pointer) throws(ProtoError) in
            try table.decode(from: &reader, into: UnsafeMutableRawPointer(pointer))
        }
    }

    /// Decodes a message from a JSON value found `depth` messages below the top.
    static func decodeJSON(_ value: JSONValue, limits: ProtoLimits, depth: Int) throws(ProtoError) -> Self {
        guard depth <= limits.nestingDepthMax else { throw ProtoError(.depthLimitExceeded(limits.nestingDepthMax)) }
        let schema = Self.schema
        if let custom = schema.customJSON { return try custom.read(value) }
        guard case .object(let object) = value else { throw ProtoError(.jsonTypeMismatch(expected: "an object")) }
        var message = Self()
        try withUnsafeMutablePointer(to: &message) { (pointer) throws(ProtoError) in
            try schema.table.readJSON(object, into: UnsafeMutableRawPointer(pointer), limits: limits, depth: depth)
        }
        return message
    }
}

/// A message type's fields, with lookup tables built once. A class: generic code (every encode
/// and decode) then fetches a type's schema as one reference, where a struct would make the
/// runtime look up `ProtoSchema<Self>`'s metadata, under a lock, on every call.
public final class ProtoSchema<Message: ProtoMessage>: Sendable {
    /// The fields, in field-number order, in the form the codec runs on.
    let table: FieldTable
    /// Replaces the object form for well-known types that have their own JSON form.
    let customJSON: CustomJSON<Message>?

    /// Creates a schema from fields in ascending field-number order (at most 64 fields).
    public convenience init(_ fields: [ProtoField<Message>]) {
        self.init(fields, customJSON: nil)
    }

    init(_ fields: [ProtoField<Message>], customJSON: CustomJSON<Message>?) {
        precondition(fields.count <= 64, "\(Message.protoName): at most 64 fields")
        for (previous, next) in zip(fields, fields.dropFirst()) {
            precondition(previous.number < next.number, "\(Message.protoName): fields must be in ascending number order")
        }
        table = FieldTable(fields.map(\.entry))
        self.customJSON = customJSON
    }
}

/// A JSON form other than an object of fields (RFC 3339 strings for Timestamp, for example).
struct CustomJSON<Message>: Sendable {
    let write: @Sendable (Message, inout JSONWriter) -> Void
    let read: @Sendable (JSONValue) throws(ProtoError) -> Message
}

/// A message's fields in the form the codec runs on: not generic, so that the loops over the
/// fields, called from generic code for every message, touch no type metadata; a class, so that
/// fetching it from a schema costs one retain.
final class FieldTable: Sendable {
    /// One field: its number and names, and closures that reach its property through a pointer
    /// to the message (see ProtoField).
    struct Entry: Sendable {
        let number: Int32
        let name: String
        let jsonName: String
        let encode: @Sendable (UnsafeRawPointer, inout ProtoWriter) -> Void
        let decode: @Sendable (ProtoWireType, inout ProtoReader, UnsafeMutableRawPointer) throws(ProtoError) -> Void
        let writeJSON: @Sendable (UnsafeRawPointer, inout JSONWriter) -> Void
        let readJSON: @Sendable (JSONValue, UnsafeMutableRawPointer, ProtoLimits, Int) throws(ProtoError) -> Void
    }

    let entries: [Entry]
    /// Index into `entries` by field number (-1: none), for numbers below its count.
    private let indexByNumber: [Int16]
    /// Index into `entries` by JSON name and by proto name.
    private let indexByJSONKey: [String: Int]

    init(_ entries: [Entry]) {
        self.entries = entries
        let tableCount = min(Int(entries.last?.number ?? 0) + 1, 256)
        var byNumber = [Int16](repeating: -1, count: tableCount)
        var byKey: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            if Int(entry.number) < tableCount { byNumber[Int(entry.number)] = Int16(index) }
            byKey[entry.jsonName] = index
            byKey[entry.name] = index
        }
        indexByNumber = byNumber
        indexByJSONKey = byKey
    }

    /// The position in `entries` of field `number`, if the message declares it.
    @inline(__always)
    private func index(ofNumber number: Int32) -> Int? {
        if Int(number) < indexByNumber.count {
            let index = indexByNumber[Int(number)]
            return index < 0 ? nil : Int(index)
        }
        return entries.firstIndex { $0.number == number }
    }

    func encode(_ message: UnsafeRawPointer, to writer: inout ProtoWriter) {
        for index in entries.indices { entries[index].encode(message, &writer) }
    }

    /// Reads fields up to the reader's end, merging into the message (encoding spec: "Last One
    /// Wins" for scalars, merged sub-messages, appended repeated values).
    func decode(from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError) {
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard let index = index(ofNumber: number) else {
                try reader.skipField(wireType)
                continue
            }
            do throws(ProtoError) {
                try entries[index].decode(wireType, &reader, message)
            } catch {
                throw error.inside(entries[index].name)
            }
        }
    }

    func writeJSON(_ message: UnsafeRawPointer, to writer: inout JSONWriter) {
        writer.beginObject()
        for index in entries.indices { entries[index].writeJSON(message, &writer) }
        writer.endObject()
    }

    func readJSON(_ object: JSONObject, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError) {
        var seen: UInt64 = 0
        for member in object.members {
            // Unknown members are ignored, as Connect servers do, so that newer clients still work.
            guard let index = indexByJSONKey[member.key] else { continue }
            guard seen & (1 << UInt64(index)) == 0 else { throw ProtoError(.duplicateField, fieldPath: entries[index].name) }
            seen |= 1 << UInt64(index)
            do throws(ProtoError) {
                try entries[index].readJSON(member.value, message, limits, depth)
            } catch {
                throw error.inside(entries[index].name)
            }
        }
    }
}
