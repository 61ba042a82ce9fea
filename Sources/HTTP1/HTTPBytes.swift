/// Byte-level helpers for HTTP syntax (RFC 9110 §5.6).
public enum HTTPBytes {
    /// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static let tokenTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = true }
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] = true }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = true }
        for byte in "!#$%&'*+-.^_`|~".utf8 { table[Int(byte)] = true }
        return table
    }()

    @inline(__always)
    public static func isTokenCharacter(_ byte: UInt8) -> Bool { tokenTable[Int(byte)] }

    @inline(__always)
    public static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Compares bytes with an ASCII string written in lowercase, ignoring the bytes' case.
    @inline(__always)
    public static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ span: ByteSpan, _ lowercase: StaticString) -> Bool {
        guard span.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for offset in 0..<span.count {
            var byte = bytes[span.start + offset]
            if byte &- 0x41 < 26 { byte |= 0x20 }
            if byte != expected[offset] { return false }
        }
        return true
    }

    /// 1*DIGIT as a non-negative Int, or nil when empty, not all digits, or absurdly large.
    public static func parseDecimal(_ bytes: UnsafeRawBufferPointer, _ span: ByteSpan) -> Int? {
        guard !span.isEmpty, span.count <= 18 else { return nil }
        var value = 0
        for index in span.start..<span.end {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Calls `body` with each comma-separated token of a list value, whitespace trimmed.
    public static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ span: ByteSpan, _ body: (ByteSpan) -> Void) {
        var start = span.start
        while start < span.end {
            var end = start
            while end < span.end, bytes[end] != 0x2C { end += 1 }
            var tokenStart = start
            var tokenEnd = end
            while tokenStart < tokenEnd, bytes[tokenStart] == 0x20 || bytes[tokenStart] == 0x09 { tokenStart += 1 }
            while tokenEnd > tokenStart, bytes[tokenEnd - 1] == 0x20 || bytes[tokenEnd - 1] == 0x09 { tokenEnd -= 1 }
            if tokenEnd > tokenStart { body(ByteSpan(start: tokenStart, end: tokenEnd)) }
            start = end + 1
        }
    }

    /// Recognises the standard methods (case-sensitive, RFC 9110 §9.1).
    static func method(_ bytes: UnsafeRawBufferPointer, _ span: ByteSpan) -> HTTPMethod {
        func matches(_ name: StaticString) -> Bool {
            guard span.count == name.utf8CodeUnitCount else { return false }
            for offset in 0..<span.count where bytes[span.start + offset] != name.utf8Start[offset] { return false }
            return true
        }
        switch span.count {
        case 3: return matches("GET") ? .get : matches("PUT") ? .put : .other
        case 4: return matches("POST") ? .post : matches("HEAD") ? .head : .other
        case 5: return matches("PATCH") ? .patch : matches("TRACE") ? .trace : .other
        case 6: return matches("DELETE") ? .delete : .other
        case 7: return matches("OPTIONS") ? .options : matches("CONNECT") ? .connect : .other
        default: return .other
        }
    }
}
