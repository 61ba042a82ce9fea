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

