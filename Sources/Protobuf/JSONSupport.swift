import JSON

/// Pieces of the proto3 JSON mapping shared by scalars and messages.
enum ProtoJSON {
    /// Reads an integer given as a JSON number or as a string holding one (proto3 JSON spec:
    /// "Either numbers or strings are accepted. Exponent notation is also accepted."). The value
    /// must be integral and in `range`; a string may not carry whitespace.
    static func integer(_ value: JSONValue, in range: ClosedRange<Int64>, typeName: String) throws(ProtoError) -> Int64 {
        switch value {
        case .int(let integer):
            guard range.contains(integer) else { throw outOfRange(typeName) }
            return integer
        case .number(let number):
            guard let integer = Int64(exactly: number) else {
                // Doubles this large are all whole numbers.
                if number.magnitude >= 0x1p63 { throw outOfRange(typeName) }
                throw ProtoError(.invalidValue("\(typeName) must be an integer"))
            }
            guard range.contains(integer) else { throw outOfRange(typeName) }
            return integer
        case .string(let string):
            // The string's text must itself be a JSON number: no spaces, signs other than a leading
            // minus, hex or leading zeros.
            let numeric = string.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                    UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                    return true
                default:
                    return false
                }
            }
            guard numeric, !string.isEmpty, let parsed = try? JSON.parse(string) else {
                throw ProtoError(.invalidValue("\(typeName) string \"\(ProtoError.abbreviate(string))\" is not a number"))
            }
            return try integer(parsed, in: range, typeName: typeName)
        default:
            throw ProtoError(.jsonTypeMismatch(expected: "\(typeName) as a number or a numeric string"))
        }
    }

    private static func outOfRange(_ typeName: String) -> ProtoError {
        ProtoError(.invalidValue("number out of range for \(typeName)"))
    }

    /// The JSON name protoc derives from a field name: underscores removed and the letter after
    /// each one upper-cased (`hold_expires_at` → `holdExpiresAt`).
    static func jsonName(fromProtoName name: String) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(name.utf8.count)
        var upperNext = false
        for byte in name.utf8 {
            if byte == UInt8(ascii: "_") {
                upperNext = true
            } else if upperNext {
                result.append(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte)
                upperNext = false
            } else {
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Whether string map key `a` is written before `b` in the deterministic encoding: bytewise
    /// over the shorter key's length, and when one key is a prefix of the other, the longer one
    /// first. That is the order protobuf's Python library writes with its default (upb) backend;
    /// C++, Go and pure-Python protobuf put the prefix first instead. Protobuf promises
    /// deterministic output only within one implementation, so any fixed order is valid, and this
    /// one makes our bytes equal Python's. (Swift's `<` on String would follow Unicode canonical
    /// ordering, which matches none of them.)
    static func mapKeyPrecedes(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator(), right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case let (x?, y?):
                if x != y { return x < y }
            case (_?, nil):
                return true
            case (nil, _?), (nil, nil):
                return false
            }
        }
    }
}

/// Base64 (RFC 4648) for proto3 JSON `bytes`.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The standard alphabet with padding (RFC 4648 §4), as proto3 JSON writes bytes.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] as [UInt32] { out.append(alphabet[Int(group >> shift & 63)]) }
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            var group = UInt32(bytes[index]) << 16
            if remaining == 2 { group |= UInt32(bytes[index + 1]) << 8 }
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            out.append(remaining == 2 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes the standard (§4) or URL-safe (§5) alphabet, padded or not (proto3 JSON spec:
    /// "Either standard or URL-safe base64 encoding with/without paddings are accepted").
    /// Padding may only end the text and must complete its last group.
    static func decode(_ string: String) -> [UInt8]? {
        var text = Array(string.utf8)
        if text.count % 4 == 0 {
            if text.last == UInt8(ascii: "=") { text.removeLast() }
            if text.last == UInt8(ascii: "=") { text.removeLast() }
        }
        guard text.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var group: UInt32 = 0
        var count = 0
        for byte in text {
            guard let sextet = value(of: byte) else { return nil }
            group = group << 6 | UInt32(sextet)
            count += 1
            if count == 4 {
                out.append(UInt8(truncatingIfNeeded: group >> 16))
                out.append(UInt8(truncatingIfNeeded: group >> 8))
                out.append(UInt8(truncatingIfNeeded: group))
                group = 0
                count = 0
            }
        }
        if count == 2 {
            out.append(UInt8(truncatingIfNeeded: group >> 4))
        } else if count == 3 {
            out.append(UInt8(truncatingIfNeeded: group >> 10))
            out.append(UInt8(truncatingIfNeeded: group >> 2))
        }
        return out
    }

    private static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): return 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
