import Crypto
import JSON

/// The RSA signing keys of a JSON Web Key Set (RFC 7517 §5), ready for RS256.
///
/// A key is used when `kty` is `RSA`, `use` is absent or `sig`, and `alg` is absent or `RS256`;
/// other keys (encryption keys, EC or symmetric keys) are skipped, since a set may hold them for
/// other services. A usable key that is broken (bad base64url, a modulus outside 2048–4096 bits)
/// makes the whole set invalid, so that a typo never silently removes a key.
public struct JWKSet: Sendable, Equatable {
    public struct Key: Sendable, Equatable {
        /// `kid`, when the key has one.
        public let id: String?
        public let key: RSAPublicKey
    }

    public let keys: [Key]

    /// Largest JWKS document read.
    public static let documentBytesMax = 1 << 20
    /// Most usable keys in a set.
    public static let keysMax = 64

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public init(keys: [Key]) { self.keys = keys }

    /// Reads a JWKS document; throws unless it holds 1–`keysMax` usable RSA keys with distinct ids.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JWKSet {
        guard bytes.count <= documentBytesMax else { throw ParseError("the JWKS is larger than \(documentBytesMax) bytes") }
        let document: JSONValue
        do {
            document = try JSON.parse(bytes, limits: JSONLimits(maxDepth: 8, maxDocumentBytes: documentBytesMax, maxStringBytes: 8192))
        } catch {
            throw ParseError("the JWKS is not JSON: \(error.message)")
        }
        guard case .array(let entries)? = document["keys"] else { throw ParseError("the JWKS has no \"keys\" array") }
        var keys: [Key] = []
        for (position, entry) in entries.enumerated() {
            guard case .object(let jwk) = entry else { throw ParseError("keys[\(position)] is not an object") }
            let problem = { (text: String) in ParseError("keys[\(position)]\(jwk["kid"]?.stringValue.map { " (kid \($0))" } ?? ""): \(text)") }
            guard jwk["kty"]?.stringValue == "RSA" else { continue }
            if let use = jwk["use"], use.stringValue != "sig" { continue }
            if let alg = jwk["alg"], alg.stringValue != "RS256" { continue }
            var id: String?
            if let kid = jwk["kid"] {
                guard case .string(let text) = kid else { throw problem("kid must be a string") }
                id = text
            }
            guard let n = jwk["n"]?.stringValue.flatMap(Base64URL.decode), !n.isEmpty else {
                throw problem("n must be base64url without padding")
            }
            guard let e = jwk["e"]?.stringValue.flatMap(Base64URL.decode), !e.isEmpty else {
                throw problem("e must be base64url without padding")
            }
            do {
                keys.append(Key(id: id, key: try RSAPublicKey(modulus: n, exponent: e)))
            } catch {
                throw problem(error.description)
            }
        }
        guard !keys.isEmpty else { throw ParseError("the JWKS has no RSA signing key (kty RSA, use sig, alg RS256)") }
        guard keys.count <= keysMax else { throw ParseError("the JWKS has more than \(keysMax) RSA signing keys") }
        let ids = keys.compactMap(\.id)
        guard Set(ids).count == ids.count else { throw ParseError("two keys share a kid") }
        if keys.count > 1 && ids.count != keys.count {
            throw ParseError("with several keys every key needs a kid")
        }
        return JWKSet(keys: keys)
    }

    /// The key a token's `kid` selects; without a `kid`, the only key when there is one.
    public func key(id: String?) -> RSAPublicKey? {
        guard let id else { return keys.count == 1 ? keys[0].key : nil }
        return keys.first { $0.id == id }?.key
    }
}

/// base64url without padding (RFC 7515 §2, "Base64url Encoding"), strictly: the URL alphabet only,
/// no `=`, and no stray bits in the last character. Table-driven over bytes, since every token
/// decodes three segments.
public enum Base64URL {
    /// Each byte's 6-bit value, or 0xFF for a byte outside the URL alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var text = String(text)
        return text.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }

    public static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        let count = text.count
        guard count % 4 != 1 else { return nil }
        var out = [UInt8](repeating: 0, count: count * 3 / 4)
        let table = values
        let ok = table.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { out -> Bool in
                var bad: UInt8 = 0
                var written = 0
                var index = 0
                while index + 4 <= count {
                    let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                    let c = table[Int(text[index + 2])], d = table[Int(text[index + 3])]
                    bad |= a | b | c | d
                    let group = UInt32(a & 0x3F) << 18 | UInt32(b & 0x3F) << 12 | UInt32(c & 0x3F) << 6 | UInt32(d & 0x3F)
                    out[written] = UInt8(truncatingIfNeeded: group >> 16)
                    out[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                    out[written + 2] = UInt8(truncatingIfNeeded: group)
                    written += 3
                    index += 4
                }
                switch count - index {
                case 2:
                    let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                    bad |= a | b | (b & 0x0F == 0 ? 0 : 0xFF)
                    out[written] = a << 2 | (b & 0x3F) >> 4
                case 3:
                    let a = table[Int(text[index])], b = table[Int(text[index + 1])], c = table[Int(text[index + 2])]
                    bad |= a | b | c | (c & 0x03 == 0 ? 0 : 0xFF)
                    out[written] = a << 2 | (b & 0x3F) >> 4
                    out[written + 1] = b << 4 | (c & 0x3F) >> 2
                default:
                    break
                }
                // Valid values are below 64; 0xFF (a byte outside the alphabet) sets the top bits.
                return bad & 0xC0 == 0
            }
        }
        return ok ? out : nil
    }
}
