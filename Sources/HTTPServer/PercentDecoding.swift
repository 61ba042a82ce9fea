/// Percent-decoding of path segments and query strings (RFC 3986 §2.1).
enum PercentDecoding {
    /// Decodes `%XX` escapes; nil for a malformed escape or a result that is not UTF-8.
    static func decode(_ bytes: UnsafeRawBufferPointer, plusIsSpace: Bool = false) -> String? {
        if !bytes.contains(0x25) && !(plusIsSpace && bytes.contains(0x2B)) {
            return String(validating: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x25 {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else { return nil }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(plusIsSpace && byte == 0x2B ? 0x20 : byte)
                index += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// The first value of `name` in an `a=1&b=2` query, decoded.
    static func queryValue(_ query: UnsafeRawBufferPointer, name: String) -> String? {
        var start = 0
        while start <= query.count {
            var end = start
            while end < query.count, query[end] != 0x26 { end += 1 }
            let pair = UnsafeRawBufferPointer(rebasing: query[start..<end])
            let equals = pair.firstIndex(of: 0x3D) ?? pair.count
            if let key = decode(UnsafeRawBufferPointer(rebasing: pair[0..<equals]), plusIsSpace: true), key == name {
                if equals == pair.count { return "" }
                return decode(UnsafeRawBufferPointer(rebasing: pair[(equals + 1)...]), plusIsSpace: true)
            }
            start = end + 1
        }
        return nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
