import JSON

/// One field of a message: its number, its names, and where its property is stored.
///
/// A schema names each property with a key path, but the codec reaches the property through
/// its byte offset in the message (`MemoryLayout.offset(of:)`): a runtime key path access costs
/// generic metadata lookups that took longer than the encoding itself. The work is done by
/// closures made in the factories below; schemas call them with concrete types, so the
/// optimizer specializes them, closures included, and `FieldTable` runs them from code that
/// is not generic.
public struct ProtoField<Message: ProtoMessage>: Sendable {
    /// The field number.
    public var number: Int32 { entry.number }
    /// The name in the .proto file (`hold_expires_at`).
    public var name: String { entry.name }
    /// The proto3 JSON name (`holdExpiresAt`).
    public var jsonName: String { entry.jsonName }
    let entry: FieldTable.Entry

    private init<Codec: FieldCodec>(_ number: Int32, _ name: String, _ codec: Codec) {
        precondition(number >= 1 && number <= protoFieldNumberMax, "field number \(number) out of range")
        let jsonName = ProtoJSON.jsonName(fromProtoName: name)
        entry = FieldTable.Entry(
            number: number,
            name: name,
            jsonName: jsonName,
            encode: { message, writer in codec.encode(message, number: number, to: &writer) },
            decode: { (wireType, reader, message) throws(ProtoError) in try codec.decode(wireType, from: &reader, into: message) },
            writeJSON: { message, writer in codec.writeJSON(message, key: jsonName, to: &writer) },
            readJSON: { (value, message, limits, depth) throws(ProtoError) in
                try codec.readJSON(value, into: message, limits: limits, depth: depth)
            }
        )
    }

    /// A singular scalar or enum field (implicit presence: the default value is not written).
    public static func scalar<Value: ProtoScalar>(
        _ number: Int32, _ name: String, _ path: WritableKeyPath<Message, Value>
    ) -> ProtoField {
        ProtoField(number, name, ScalarCodec(property: StoredProperty(path, name)))
    }

    /// A repeated scalar or enum field; numeric ones are written packed (the proto3 default)
    /// and read packed or not.
    public static func repeated<Value: ProtoScalar>(
        _ number: Int32, _ name: String, _ path: WritableKeyPath<Message, [Value]>
    ) -> ProtoField {
        ProtoField(number, name, RepeatedScalarCodec(property: StoredProperty(path, name)))
    }

    /// A singular message field; nil when absent.
    public static func message<Value: ProtoMessage>(
        _ number: Int32, _ name: String, _ path: WritableKeyPath<Message, Value?>
    ) -> ProtoField {
        ProtoField(number, name, MessageCodec(property: StoredProperty(path, name)))
    }

    /// A repeated message field.
    public static func repeatedMessage<Value: ProtoMessage>(
        _ number: Int32, _ name: String, _ path: WritableKeyPath<Message, [Value]>
    ) -> ProtoField {
        ProtoField(number, name, RepeatedMessageCodec(property: StoredProperty(path, name)))
    }

    /// A `map<string, V>` field with a scalar or enum value type.
    public static func map<Value: ProtoScalar>(
        _ number: Int32, _ name: String, _ path: WritableKeyPath<Message, [String: Value]>
    ) -> ProtoField {
        ProtoField(number, name, MapCodec(property: StoredProperty(path, name)))
    }
}

extension ProtoField {
    /// A scalar member of a `oneof`.
    ///
    /// A oneof is one optional property whose type is an enum with a case per member, so at most
    /// one member is ever set: `embed` makes this member's case (pass the case itself,
    /// `Request.fileByFilename`) and `extract` reads it back, nil for any other case. `oneofName`
    /// is the oneof's name in the .proto file, for errors. Unlike a plain scalar field, a set
    /// member is written even when it holds the default value: members have explicit presence,
    /// so `list_services: ""` differs from no request at all.
    public static func oneof<Oneof: Sendable, Value: ProtoScalar>(
        _ number: Int32, _ name: String, _ path: WritableKeyPath<Message, Oneof?>, oneofName: String,
        embed: @escaping @Sendable (Value) -> Oneof, extract: @escaping @Sendable (Oneof) -> Value?
    ) -> ProtoField {
        ProtoField(number, name, OneofScalarCodec(
            member: OneofMember(property: StoredProperty(path, name), oneofName: oneofName, embed: embed, extract: extract)))
    }

    /// A message member of a `oneof` (see the scalar `oneof`).
    public static func oneofMessage<Oneof: Sendable, Value: ProtoMessage>(
        _ number: Int32, _ name: String, _ path: WritableKeyPath<Message, Oneof?>, oneofName: String,
        embed: @escaping @Sendable (Value) -> Oneof, extract: @escaping @Sendable (Oneof) -> Value?
    ) -> ProtoField {
        ProtoField(number, name, OneofMessageCodec(
            member: OneofMember(property: StoredProperty(path, name), oneofName: oneofName, embed: embed, extract: extract)))
    }
}

/// A stored property of a message, found by its byte offset from the start of the message.
struct StoredProperty<Value>: Sendable {
    let offset: Int

    init<Message>(_ path: WritableKeyPath<Message, Value>, _ name: String) {
        // Nil for computed properties, which have no place in memory.
        guard let offset = MemoryLayout<Message>.offset(of: path) else {
            preconditionFailure("\(Message.self).\(name): a field must be a stored property")
        }
        self.offset = offset
    }

    /// The property inside the message at `message`. (A message's memory is bound to its type,
    /// and with it each stored property's memory to the property's type.)
    @inline(__always)
    func value(in message: UnsafeRawPointer) -> UnsafePointer<Value> {
        (message + offset).assumingMemoryBound(to: Value.self)
    }

    @inline(__always)
    func value(in message: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Value> {
        (message + offset).assumingMemoryBound(to: Value.self)
    }
}

/// How one kind of field moves between a message property, the wire and JSON. The message is
/// given by a pointer valid for the duration of the call.
protocol FieldCodec: Sendable {
    /// Writes the field (tag and value) unless proto3 leaves it out.
    func encode(_ message: UnsafeRawPointer, number: Int32, to writer: inout ProtoWriter)
    /// Reads one occurrence of the field, whose tag has been read, merging it into the message.
    func decode(_ wireType: ProtoWireType, from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError)
    /// Writes `"key": value` unless the field holds its default.
    func writeJSON(_ message: UnsafeRawPointer, key: String, to writer: inout JSONWriter)
    /// Sets the field from its JSON value; `null` resets it to the default.
    func readJSON(_ value: JSONValue, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError)
}

@inline(__always)
private func expectWireType(_ found: ProtoWireType, _ expected: ProtoWireType) throws(ProtoError) {
    // Protobuf's own parsers keep a mismatched field as an unknown one; this codec rejects it,
    // since a client sending it has a schema that disagrees with ours about that field.
    guard found == expected else { throw ProtoError(.wireTypeMismatch(expected: expected, found: found)) }
}

struct ScalarCodec<Value: ProtoScalar>: FieldCodec {
    let property: StoredProperty<Value>

    func encode(_ message: UnsafeRawPointer, number: Int32, to writer: inout ProtoWriter) {
        let value = property.value(in: message)
        if value.pointee.isProtoDefault { return }
        writer.writeTag(number, Value.protoWireType)
        value.pointee.encodeProtoValue(to: &writer)
    }

    func decode(_ wireType: ProtoWireType, from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError) {
        try expectWireType(wireType, Value.protoWireType)
        property.value(in: message).pointee = try Value.decodeProtoValue(from: &reader)
    }

    func writeJSON(_ message: UnsafeRawPointer, key: String, to writer: inout JSONWriter) {
        let value = property.value(in: message)
        if value.pointee.isProtoDefault { return }
        writer.key(key)
        value.pointee.writeProtoJSON(to: &writer)
    }

    func readJSON(_ value: JSONValue, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError) {
        property.value(in: message).pointee = value.isNull ? Value.protoDefault : try Value.decodeProtoJSON(value)
    }
}

struct RepeatedScalarCodec<Value: ProtoScalar>: FieldCodec {
    let property: StoredProperty<[Value]>

    /// Strings and bytes cannot be packed; every other scalar can.
    private var packable: Bool { Value.protoWireType != .len }

    func encode(_ message: UnsafeRawPointer, number: Int32, to writer: inout ProtoWriter) {
        let values = property.value(in: message)
        if values.pointee.isEmpty { return }
        if packable {
            writer.writeTag(number, .len)
            let start = writer.beginNested()
            for value in values.pointee { value.encodeProtoValue(to: &writer) }
            writer.endNested(start)
        } else {
            for value in values.pointee {
                writer.writeTag(number, Value.protoWireType)
                value.encodeProtoValue(to: &writer)
            }
        }
    }

    func decode(_ wireType: ProtoWireType, from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError) {
        let values = property.value(in: message)
        // Encoding spec, "Packed Repeated Fields": parsers must accept both forms.
        if wireType == .len && packable {
            let outerEnd = try reader.beginPacked()
            while !reader.isAtEnd {
                values.pointee.append(try Value.decodeProtoValue(from: &reader))
            }
            reader.endPacked(outerEnd)
        } else {
            try expectWireType(wireType, Value.protoWireType)
            values.pointee.append(try Value.decodeProtoValue(from: &reader))
        }
    }

    func writeJSON(_ message: UnsafeRawPointer, key: String, to writer: inout JSONWriter) {
        let values = property.value(in: message)
        if values.pointee.isEmpty { return }
        writer.key(key)
        writer.beginArray()
        for value in values.pointee { value.writeProtoJSON(to: &writer) }
        writer.endArray()
    }

    func readJSON(_ value: JSONValue, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError) {
        if value.isNull {
            property.value(in: message).pointee = []
            return
        }
        guard case .array(let elements) = value else { throw ProtoError(.jsonTypeMismatch(expected: "an array")) }
        var values: [Value] = []
        values.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do throws(ProtoError) {
                if element.isNull { throw ProtoError(.jsonTypeMismatch(expected: "a value, not null, in a repeated field")) }
                values.append(try Value.decodeProtoJSON(element))
            } catch {
                throw error.inside("[\(index)]")
            }
        }
        property.value(in: message).pointee = values
    }
}

struct MessageCodec<Value: ProtoMessage>: FieldCodec {
    let property: StoredProperty<Value?>

    func encode(_ message: UnsafeRawPointer, number: Int32, to writer: inout ProtoWriter) {
        let optional = property.value(in: message)
        if optional.pointee == nil { return }
        writer.writeTag(number, .len)
        let start = writer.beginNested()
        Value.encodeFields(at: payload(of: optional), to: &writer)
        writer.endNested(start)
    }

    func decode(_ wireType: ProtoWireType, from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError) {
        try expectWireType(wireType, .len)
        let outerEnd = try reader.beginNested()
        let value = property.value(in: message)
        // A repeated occurrence merges into the value read so far (encoding spec: "Last One Wins").
        if value.pointee == nil { value.pointee = Value() }
        try Value.decodeFields(from: &reader, into: &value.pointee!)
        reader.endNested(outerEnd)
    }

    func writeJSON(_ message: UnsafeRawPointer, key: String, to writer: inout JSONWriter) {
        let optional = property.value(in: message)
        if optional.pointee == nil { return }
        writer.key(key)
        Value.writeJSON(at: payload(of: optional), to: &writer)
    }

    /// The message inside a non-nil optional, in place: Optional is a single-payload enum, and
    /// the Swift ABI stores such an enum's payload at offset zero (docs/ABI/TypeLayout.rst,
    /// "Single-Payload Enums"), with the tag, if any, after it.
    @inline(__always)
    private func payload(of optional: UnsafePointer<Value?>) -> UnsafeRawPointer {
        UnsafeRawPointer(optional)
    }

    func readJSON(_ value: JSONValue, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError) {
        property.value(in: message).pointee = value.isNull ? nil : try Value.decodeJSON(value, limits: limits, depth: depth + 1)
    }
}

struct RepeatedMessageCodec<Value: ProtoMessage>: FieldCodec {
    let property: StoredProperty<[Value]>

    func encode(_ message: UnsafeRawPointer, number: Int32, to writer: inout ProtoWriter) {
        // Elements are encoded where they are stored; copying one out would retain each of its fields.
        property.value(in: message).pointee.withUnsafeBufferPointer { values in
            guard let first = values.baseAddress else { return }
            for index in 0..<values.count {
                writer.writeTag(number, .len)
                let start = writer.beginNested()
                Value.encodeFields(at: UnsafeRawPointer(first + index), to: &writer)
                writer.endNested(start)
            }
        }
    }

    func decode(_ wireType: ProtoWireType, from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError) {
        try expectWireType(wireType, .len)
        let outerEnd = try reader.beginNested()
        var value = Value()
        try Value.decodeFields(from: &reader, into: &value)
        reader.endNested(outerEnd)
        property.value(in: message).pointee.append(value)
    }

    func writeJSON(_ message: UnsafeRawPointer, key: String, to writer: inout JSONWriter) {
        let values = property.value(in: message)
        if values.pointee.isEmpty { return }
        writer.key(key)
        writer.beginArray()
        values.pointee.withUnsafeBufferPointer { values in
            guard let first = values.baseAddress else { return }
            for index in 0..<values.count { Value.writeJSON(at: UnsafeRawPointer(first + index), to: &writer) }
        }
        writer.endArray()
    }

    func readJSON(_ value: JSONValue, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError) {
        if value.isNull {
            property.value(in: message).pointee = []
            return
        }
        guard case .array(let elements) = value else { throw ProtoError(.jsonTypeMismatch(expected: "an array")) }
        var values: [Value] = []
        values.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do throws(ProtoError) {
                if element.isNull { throw ProtoError(.jsonTypeMismatch(expected: "a message, not null, in a repeated field")) }
                values.append(try Value.decodeJSON(element, limits: limits, depth: depth + 1))
            } catch {
                throw error.inside("[\(index)]")
            }
        }
        property.value(in: message).pointee = values
    }
}

/// A `map<string, V>`: on the wire, a repeated entry message with the key as field 1 and the
/// value as field 2 (encoding spec: "Maps").
///
/// Swift Strings compare by Unicode canonical equivalence, so keys that differ only in
/// normalization ("é" as U+00E9 or as "e" + U+0301) are one key here, where protobuf keeps
/// both; decoding keeps the last.
struct MapCodec<Value: ProtoScalar>: FieldCodec {
    let property: StoredProperty<[String: Value]>

    func encode(_ message: UnsafeRawPointer, number: Int32, to writer: inout ProtoWriter) {
        let map = property.value(in: message)
        if map.pointee.isEmpty { return }
        // Deterministic order (see mapKeyPrecedes); key and value are both written even when
        // empty, as protobuf's own encoders do for map entries.
        for (key, value) in map.pointee.sorted(by: { ProtoJSON.mapKeyPrecedes($0.key, $1.key) }) {
            writer.writeTag(number, .len)
            let start = writer.beginNested()
            writer.writeTag(1, .len)
            writer.writeString(key)
            writer.writeTag(2, Value.protoWireType)
            value.encodeProtoValue(to: &writer)
            writer.endNested(start)
        }
    }

    func decode(_ wireType: ProtoWireType, from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError) {
        try expectWireType(wireType, .len)
        let outerEnd = try reader.beginNested()
        // A missing key or value takes its default.
        var key = ""
        var value = Value.protoDefault
        while !reader.isAtEnd {
            let (number, entryWireType) = try reader.readTag()
            switch number {
            case 1:
                try expectWireType(entryWireType, .len)
                key = try reader.readString()
            case 2:
                try expectWireType(entryWireType, Value.protoWireType)
                value = try Value.decodeProtoValue(from: &reader)
            default:
                try reader.skipField(entryWireType)
            }
        }
        reader.endNested(outerEnd)
        property.value(in: message).pointee[key] = value
    }

    func writeJSON(_ message: UnsafeRawPointer, key: String, to writer: inout JSONWriter) {
        let map = property.value(in: message)
        if map.pointee.isEmpty { return }
        writer.key(key)
        writer.beginObject()
        for (entryKey, value) in map.pointee.sorted(by: { ProtoJSON.mapKeyPrecedes($0.key, $1.key) }) {
            writer.key(entryKey)
            value.writeProtoJSON(to: &writer)
        }
        writer.endObject()
    }

    func readJSON(_ value: JSONValue, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError) {
        if value.isNull {
            property.value(in: message).pointee = [:]
            return
        }
        guard case .object(let object) = value else { throw ProtoError(.jsonTypeMismatch(expected: "an object")) }
        var map: [String: Value] = [:]
        map.reserveCapacity(object.count)
        for member in object.members {
            do throws(ProtoError) {
                if member.value.isNull { throw ProtoError(.jsonTypeMismatch(expected: "a value, not null, in a map")) }
                map[member.key] = try Value.decodeProtoJSON(member.value)
            } catch {
                throw error.inside("[\"\(ProtoError.abbreviate(member.key))\"]")
            }
        }
        property.value(in: message).pointee = map
    }
}

/// One member of a oneof: the oneof's property and the member's case in it.
struct OneofMember<Oneof: Sendable, Value: Sendable>: Sendable {
    let property: StoredProperty<Oneof?>
    let oneofName: String
    let embed: @Sendable (Value) -> Oneof
    let extract: @Sendable (Oneof) -> Value?

    /// This member's value, or nil when the oneof holds another member or none.
    func value(in message: UnsafeRawPointer) -> Value? {
        property.value(in: message).pointee.flatMap(extract)
    }

    /// Sets the oneof to this member, which drops whichever member was set (encoding spec,
    /// "Oneofs": of several members on the wire, the last one seen wins).
    func set(_ value: Value, in message: UnsafeMutableRawPointer) {
        property.value(in: message).pointee = embed(value)
    }

    /// JSON `null` for a member clears it if it is the one set, as protobuf's own parsers do.
    func clear(in message: UnsafeMutableRawPointer) {
        let oneof = property.value(in: message)
        if oneof.pointee.flatMap(extract) != nil { oneof.pointee = nil }
    }

    /// Reading a message's JSON object starts from an empty message, so a member already set
    /// came from the same object: the proto3 JSON spec allows one member per oneof.
    func checkUnset(in message: UnsafeMutableRawPointer) throws(ProtoError) {
        if property.value(in: message).pointee != nil { throw ProtoError(.oneofConflict(oneofName)) }
    }
}

struct OneofScalarCodec<Oneof: Sendable, Value: ProtoScalar>: FieldCodec {
    let member: OneofMember<Oneof, Value>

    func encode(_ message: UnsafeRawPointer, number: Int32, to writer: inout ProtoWriter) {
        guard let value = member.value(in: message) else { return }
        writer.writeTag(number, Value.protoWireType)
        value.encodeProtoValue(to: &writer)
    }

    func decode(_ wireType: ProtoWireType, from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError) {
        try expectWireType(wireType, Value.protoWireType)
        member.set(try Value.decodeProtoValue(from: &reader), in: message)
    }

    func writeJSON(_ message: UnsafeRawPointer, key: String, to writer: inout JSONWriter) {
        guard let value = member.value(in: message) else { return }
        writer.key(key)
        value.writeProtoJSON(to: &writer)
    }

    func readJSON(_ value: JSONValue, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError) {
        if value.isNull {
            member.clear(in: message)
            return
        }
        try member.checkUnset(in: message)
        member.set(try Value.decodeProtoJSON(value), in: message)
    }
}

struct OneofMessageCodec<Oneof: Sendable, Value: ProtoMessage>: FieldCodec {
    let member: OneofMember<Oneof, Value>

    func encode(_ message: UnsafeRawPointer, number: Int32, to writer: inout ProtoWriter) {
        // A copy of the member, which oneofs (rare, small messages here) can afford.
        guard let value = member.value(in: message) else { return }
        writer.writeTag(number, .len)
        let start = writer.beginNested()
        value.encodeFields(to: &writer)
        writer.endNested(start)
    }

    func decode(_ wireType: ProtoWireType, from reader: inout ProtoReader, into message: UnsafeMutableRawPointer) throws(ProtoError) {
        try expectWireType(wireType, .len)
        let outerEnd = try reader.beginNested()
        // The same member twice merges, as a singular message field does; another member is replaced.
        var value = member.value(in: message) ?? Value()
        try Value.decodeFields(from: &reader, into: &value)
        reader.endNested(outerEnd)
        member.set(value, in: message)
    }

    func writeJSON(_ message: UnsafeRawPointer, key: String, to writer: inout JSONWriter) {
        guard let value = member.value(in: message) else { return }
        writer.key(key)
        value.writeJSON(to: &writer)
    }

    func readJSON(_ value: JSONValue, into message: UnsafeMutableRawPointer, limits: ProtoLimits, depth: Int) throws(ProtoError) {
        if value.isNull {
            member.clear(in: message)
            return
        }
        try member.checkUnset(in: message)
        member.set(try Value.decodeJSON(value, limits: limits, depth: depth + 1), in: message)
    }
}
