/// Why a document was rejected, and where: suitable for an API error message.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of rejection.
    public enum Reason: Equatable, Sendable {
        case unexpectedEndOfInput
        /// A byte that cannot start or continue the construct being read.
        case unexpectedByte(UInt8)
        case expectedColon
        case expectedCommaOrEndOfArray
        case expectedCommaOrEndOfObject
        case expectedKey
        case trailingComma
        /// Something other than whitespace follows the top-level value.
        case trailingData
        case invalidLiteral
        case leadingZero
        case invalidNumber
        /// The number's magnitude overflows a Double (RFC 8259 §6 lets implementations limit range).
        case numberOutOfRange
        case unterminatedString
        case controlCharacterInString(UInt8)
        case invalidEscape
        case invalidUnicodeEscape
        case loneSurrogate
        case invalidUTF8
        case duplicateKey(String)
        case depthLimitExceeded(Int)
        case stringTooLong(Int)
        case documentTooLarge(Int)
    }

    /// What went wrong.
    public let reason: Reason
    /// Zero-based byte offset in the input where the problem was found.
    public let offset: Int

    /// Creates an error for `reason` found at byte `offset`.
    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// A short human-readable message, for example `duplicate key "quantity" at byte 42`.
    public var message: String {
        "\(summary) at byte \(offset)"
    }

    /// Same as `message`.
    public var description: String { message }

    private var summary: String {
        switch reason {
        case .unexpectedEndOfInput: return "unexpected end of input"
        case .unexpectedByte(let b): return "unexpected \(JSONError.describe(byte: b))"
        case .expectedColon: return "expected ':' after object key"
        case .expectedCommaOrEndOfArray: return "expected ',' or ']' in array"
        case .expectedCommaOrEndOfObject: return "expected ',' or '}' in object"
        case .expectedKey: return "expected string key in object"
        case .trailingComma: return "trailing comma"
        case .trailingData: return "unexpected data after JSON value"
        case .invalidLiteral: return "invalid literal (expected true, false or null)"
        case .leadingZero: return "number with leading zero"
        case .invalidNumber: return "invalid number"
        case .numberOutOfRange: return "number out of range"
        case .unterminatedString: return "unterminated string"
        case .controlCharacterInString(let b): return "unescaped control character \(JSONError.hex(b)) in string"
        case .invalidEscape: return "invalid escape sequence in string"
        case .invalidUnicodeEscape: return "invalid \\u escape in string"
        case .loneSurrogate: return "unpaired UTF-16 surrogate in \\u escape"
        case .invalidUTF8: return "invalid UTF-8"
        case .duplicateKey(let key): return "duplicate key \"\(JSONError.abbreviate(key))\""
        case .depthLimitExceeded(let limit): return "nesting deeper than \(limit) levels"
        case .stringTooLong(let limit): return "string longer than \(limit) bytes"
        case .documentTooLarge(let limit): return "document larger than \(limit) bytes"
        }
    }

    private static func describe(byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return "byte \(hex(byte))"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])"
    }

    /// Keeps messages short even for huge keys; the message is for humans, the reason keeps the full key.
    private static func abbreviate(_ key: String) -> String {
        key.unicodeScalars.count <= 64 ? key : String(key.unicodeScalars.prefix(64)) + "…"
    }
}
