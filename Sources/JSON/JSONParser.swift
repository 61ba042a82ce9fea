/// Resource limits applied while parsing untrusted input.
public struct JSONLimits: Sendable, Equatable {
    /// Maximum nesting of arrays and objects; a top-level scalar has depth 0, `[]` depth 1.
    ///
    /// The parser recurses once per level, so this also bounds its stack use; keep it modest.
    public var maxDepth: Int
    /// Maximum size of the whole document in bytes.
    public var maxDocumentBytes: Int
    /// Maximum size of one string (value or key) in bytes after unescaping.
    public var maxStringBytes: Int

    /// Creates limits; unspecified ones take the default values.
    public init(maxDepth: Int = 32, maxDocumentBytes: Int = 1 << 20, maxStringBytes: Int = 1 << 16) {
        self.maxDepth = maxDepth
        self.maxDocumentBytes = maxDocumentBytes
        self.maxStringBytes = maxStringBytes
    }

    /// Depth 32, 1 MiB documents, 64 KiB strings.
    public static let `default` = JSONLimits()
}

/// Entry points for parsing JSON text.
public enum JSON {
    /// Parses one JSON document (RFC 8259) from raw bytes.
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        var parser = JSONParser(limits: limits)
        return try parser.parse(bytes)
    }

    /// Parses one JSON document from a byte array.
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        var parser = JSONParser(limits: limits)
        return try parser.parse(bytes)
    }

    /// Parses one JSON document from the UTF-8 encoding of a string.
    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        var parser = JSONParser(limits: limits)
        return try parser.parse(Array(text.utf8))
    }
}

/// A strict RFC 8259 parser working directly on bytes.
///
/// Strictness, beyond the grammar itself: strings must be well-formed UTF-8 (RFC 3629:
/// no overlong forms, no encoded surrogates, nothing above U+10FFFF, no truncated
/// sequences); `\u` escapes must pair surrogates; object keys must be unique, because
/// RFC 8259 §4 leaves duplicates' meaning undefined and an API must not guess; no byte
/// order mark is accepted (§8.1 allows rejecting it). Keep one parser per thread to
/// reuse its scratch buffer across documents.
public struct JSONParser: Sendable {
    /// Limits checked during parsing.
    public var limits: JSONLimits
    /// Unescaped string bytes, reused across strings and documents.
    private var scratch: [UInt8] = []

    /// Creates a parser applying the given limits.
    public init(limits: JSONLimits = .default) {
        self.limits = limits
    }

    /// Parses one document from raw bytes.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        guard bytes.count <= limits.maxDocumentBytes else {
            throw JSONError(.documentTooLarge(limits.maxDocumentBytes), at: limits.maxDocumentBytes)
        }
        let limits = self.limits
        var scratch = self.scratch
        self.scratch = []
        let result: Result<JSONValue, JSONError> = bytes.withMemoryRebound(to: UInt8.self) { input in
            var reader = Reader(input: input, limits: limits, scratch: scratch)
            defer { scratch = reader.scratch }
            do throws(JSONError) {
                return .success(try reader.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        scratch.removeAll(keepingCapacity: true)
        self.scratch = scratch
        return try result.get()
    }

    /// Parses one document from a byte array.
    public mutating func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError> = bytes.withUnsafeBytes { raw in
            do throws(JSONError) {
                return .success(try parse(raw))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// ASCII bytes the grammar refers to (RFC 8259 §2).
private enum Byte {
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), slash = UInt8(ascii: "/")
    static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")
    static let minus = UInt8(ascii: "-"), plus = UInt8(ascii: "+"), dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
    static let lowerE = UInt8(ascii: "e"), upperE = UInt8(ascii: "E")
}

/// A key wrapper that hashes and compares by UTF-8 bytes, for duplicate detection in large objects.
private struct ScalarKey: Hashable {
    let string: String
    static func == (lhs: ScalarKey, rhs: ScalarKey) -> Bool { sameScalars(lhs.string, rhs.string) }
    func hash(into hasher: inout Hasher) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil { for byte in string.utf8 { hasher.combine(byte) } }
    }
}

/// The recursive-descent state over one document.
private struct Reader {
    let input: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var scratch: [UInt8]
    var i = 0

    /// Objects at least this large switch from linear duplicate scans to a hash set.
    static let linearDuplicateScanLimit = 16

    init(input: UnsafeBufferPointer<UInt8>, limits: JSONLimits, scratch: [UInt8]) {
        self.input = input
        self.limits = limits
        self.scratch = scratch
    }

    /// JSON-text = ws value ws (RFC 8259 §2).
    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if i < input.count { throw JSONError(.trailingData, at: i) }
        return value
    }

    /// ws = *( %x20 / %x09 / %x0A / %x0D ) — nothing else counts as whitespace.
    @inline(__always)
    mutating func skipWhitespace() {
        while i < input.count {
            switch input[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard i < input.count else { throw JSONError(.unexpectedEndOfInput, at: i) }
        switch input[i] {
        case Byte.quote: return .string(try parseString())
        case Byte.openBrace: return try parseObject(depth: depth + 1)
        case Byte.openBracket: return try parseArray(depth: depth + 1)
        case UInt8(ascii: "t"): try expectLiteral(Literal.true); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral(Literal.false); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral(Literal.null); return .null
        case Byte.minus, Byte.zero...Byte.nine: return try parseNumber()
        case let byte: throw JSONError(.unexpectedByte(byte), at: i)
        }
    }

    private enum Literal {
        static let `true` = Array("true".utf8), `false` = Array("false".utf8), null = Array("null".utf8)
    }

    /// Matches `true`, `false` or `null` exactly (lowercase only, RFC 8259 §3).
    mutating func expectLiteral(_ literal: [UInt8]) throws(JSONError) {
        let start = i
        for expected in literal {
            guard i < input.count else { throw JSONError(.unexpectedEndOfInput, at: i) }
            guard input[i] == expected else { throw JSONError(.invalidLiteral, at: start) }
            i += 1
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= limits.maxDepth else { throw JSONError(.depthLimitExceeded(limits.maxDepth), at: i) }
        i += 1
        skipWhitespace()
        var elements: [JSONValue] = []
        if i < input.count && input[i] == Byte.closeBracket {
            i += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard i < input.count else { throw JSONError(.unexpectedEndOfInput, at: i) }
            switch input[i] {
            case Byte.comma:
                i += 1
                skipWhitespace()
                if i < input.count && input[i] == Byte.closeBracket { throw JSONError(.trailingComma, at: i) }
            case Byte.closeBracket:
                i += 1
                return .array(elements)
            default:
                throw JSONError(.expectedCommaOrEndOfArray, at: i)
            }
        }
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= limits.maxDepth else { throw JSONError(.depthLimitExceeded(limits.maxDepth), at: i) }
        i += 1
        skipWhitespace()
        var members: [(key: String, value: JSONValue)] = []
        if i < input.count && input[i] == Byte.closeBrace {
            i += 1
            return .object(JSONObject(uniqueMembers: members))
        }
        // Built only once an object grows past the linear-scan limit, so small objects never hash.
        var seen: Set<ScalarKey>? = nil
        while true {
            guard i < input.count else { throw JSONError(.unexpectedEndOfInput, at: i) }
            guard input[i] == Byte.quote else { throw JSONError(.expectedKey, at: i) }
            let keyOffset = i
            let key = try parseString()
            if let inserted = seen?.insert(ScalarKey(string: key)).inserted {
                if !inserted { throw JSONError(.duplicateKey(key), at: keyOffset) }
            } else {
                for member in members where sameScalars(member.key, key) {
                    throw JSONError(.duplicateKey(key), at: keyOffset)
                }
                if members.count + 1 >= Reader.linearDuplicateScanLimit {
                    var set = Set<ScalarKey>(minimumCapacity: 2 * Reader.linearDuplicateScanLimit)
                    for member in members { set.insert(ScalarKey(string: member.key)) }
                    set.insert(ScalarKey(string: key))
                    seen = set
                }
            }
            skipWhitespace()
            guard i < input.count else { throw JSONError(.unexpectedEndOfInput, at: i) }
            guard input[i] == Byte.colon else { throw JSONError(.expectedColon, at: i) }
            i += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append((key: key, value: value))
            skipWhitespace()
            guard i < input.count else { throw JSONError(.unexpectedEndOfInput, at: i) }
            switch input[i] {
            case Byte.comma:
                i += 1
                skipWhitespace()
                if i < input.count && input[i] == Byte.closeBrace { throw JSONError(.trailingComma, at: i) }
            case Byte.closeBrace:
                i += 1
                return .object(JSONObject(uniqueMembers: members))
            default:
                throw JSONError(.expectedCommaOrEndOfObject, at: i)
            }
        }
    }

    /// number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT ) (RFC 8259 §6).
    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = i
        let negative = input[i] == Byte.minus
        if negative { i += 1 }
        guard i < input.count else { throw JSONError(.invalidNumber, at: start) }

        // Accumulate negatively so Int64.min is representable.
        var accumulated: Int64 = 0
        var overflow = false
        let first = input[i]
        if first == Byte.zero {
            i += 1
            if i < input.count && isDigit(input[i]) { throw JSONError(.leadingZero, at: start) }
        } else if isDigit(first) {
            while i < input.count && isDigit(input[i]) {
                if !overflow {
                    let (product, o1) = accumulated.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = product.subtractingReportingOverflow(Int64(input[i] &- Byte.zero))
                    if o1 || o2 { overflow = true } else { accumulated = sum }
                }
                i += 1
            }
        } else {
            throw JSONError(.invalidNumber, at: start)
        }

        var integral = true
        if i < input.count && input[i] == Byte.dot {
            integral = false
            i += 1
            guard i < input.count && isDigit(input[i]) else { throw JSONError(.invalidNumber, at: start) }
            while i < input.count && isDigit(input[i]) { i += 1 }
        }
        if i < input.count && (input[i] == Byte.lowerE || input[i] == Byte.upperE) {
            integral = false
            i += 1
            if i < input.count && (input[i] == Byte.plus || input[i] == Byte.minus) { i += 1 }
            guard i < input.count && isDigit(input[i]) else { throw JSONError(.invalidNumber, at: start) }
            while i < input.count && isDigit(input[i]) { i += 1 }
        }

        if integral && !overflow {
            if negative { return .int(accumulated) }
            if accumulated != .min { return .int(-accumulated) }
        }
        // Rare path: the standard library's conversion is correctly rounded and locale-independent.
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<i]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw JSONError(.numberOutOfRange, at: start) }
        return .number(value)
    }

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool { byte &- Byte.zero < 10 }

    /// Reads a string starting at its opening quote (RFC 8259 §7).
    ///
    /// Strings without escapes are decoded straight from the input; the scratch
    /// buffer is used only once an escape forces bytes to differ from the input.
    mutating func parseString() throws(JSONError) -> String {
        let quoteOffset = i
        i += 1
        let start = i
        var runStart = i
        var copying = false
        while true {
            guard i < input.count else { throw JSONError(.unterminatedString, at: quoteOffset) }
            let byte = input[i]
            if byte == Byte.quote {
                let string: String
                if copying {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<i]))
                    guard scratch.count <= limits.maxStringBytes else {
                        throw JSONError(.stringTooLong(limits.maxStringBytes), at: quoteOffset)
                    }
                    string = String(decoding: scratch, as: UTF8.self)
                } else {
                    guard i - start <= limits.maxStringBytes else {
                        throw JSONError(.stringTooLong(limits.maxStringBytes), at: quoteOffset)
                    }
                    string = String(decoding: UnsafeBufferPointer(rebasing: input[start..<i]), as: UTF8.self)
                }
                i += 1
                return string
            }
            if byte == Byte.backslash {
                if !copying {
                    copying = true
                    scratch.removeAll(keepingCapacity: true)
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<i]))
                try unescape()
                runStart = i
                // Bound the scratch buffer as it grows, not only at the closing quote.
                if scratch.count > limits.maxStringBytes {
                    throw JSONError(.stringTooLong(limits.maxStringBytes), at: quoteOffset)
                }
                continue
            }
            if byte < 0x20 { throw JSONError(.controlCharacterInString(byte), at: i) }
            if byte < 0x80 {
                i += 1
                continue
            }
            guard let length = UTF8Validation.sequenceLength(input, at: i) else { throw JSONError(.invalidUTF8, at: i) }
            i += length
        }
    }

    /// Decodes the escape at `i` (a backslash) into `scratch` (RFC 8259 §7).
    mutating func unescape() throws(JSONError) {
        let escapeOffset = i
        guard i + 1 < input.count else { throw JSONError(.unterminatedString, at: escapeOffset) }
        let decoded: UInt8
        switch input[i + 1] {
        case Byte.quote: decoded = Byte.quote
        case Byte.backslash: decoded = Byte.backslash
        case Byte.slash: decoded = Byte.slash
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            try unescapeUnicode()
            return
        default:
            throw JSONError(.invalidEscape, at: escapeOffset)
        }
        scratch.append(decoded)
        i += 2
    }

    /// Decodes `\uXXXX`, joining a high and low surrogate escape into one scalar.
    ///
    /// RFC 8259 §7 encodes characters outside the BMP as a surrogate pair of
    /// escapes; an unpaired surrogate has no Unicode scalar, so it is rejected.
    mutating func unescapeUnicode() throws(JSONError) {
        let escapeOffset = i
        let unit = try hex4(at: i + 2, escapeOffset: escapeOffset)
        i += 6
        var scalar = UInt32(unit)
        switch unit {
        case 0xD800...0xDBFF:
            guard i + 1 < input.count, input[i] == Byte.backslash, input[i + 1] == UInt8(ascii: "u") else {
                throw JSONError(.loneSurrogate, at: escapeOffset)
            }
            let low = try hex4(at: i + 2, escapeOffset: i)
            guard (0xDC00...0xDFFF).contains(low) else { throw JSONError(.loneSurrogate, at: escapeOffset) }
            i += 6
            scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        case 0xDC00...0xDFFF:
            throw JSONError(.loneSurrogate, at: escapeOffset)
        default:
            break
        }
        appendUTF8(scalar)
    }

    /// Reads four hex digits (either case) at `offset`.
    func hex4(at offset: Int, escapeOffset: Int) throws(JSONError) -> UInt16 {
        guard offset + 4 <= input.count else { throw JSONError(.invalidUnicodeEscape, at: escapeOffset) }
        var value: UInt16 = 0
        for k in 0..<4 {
            let c = input[offset + k]
            let nibble: UInt8
            switch c {
            case Byte.zero...Byte.nine: nibble = c - Byte.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
            default: throw JSONError(.invalidUnicodeEscape, at: escapeOffset)
            }
            value = value << 4 | UInt16(nibble)
        }
        return value
    }

    /// Appends a scalar (never a surrogate) as UTF-8.
    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(0xC0 | UInt8(scalar >> 6))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(0xE0 | UInt8(scalar >> 12))
            scratch.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        default:
            scratch.append(0xF0 | UInt8(scalar >> 18))
            scratch.append(0x80 | UInt8((scalar >> 12) & 0x3F))
            scratch.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        }
    }
}
