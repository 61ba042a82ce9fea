import Crypto
import HTTPServer
import JSON

/// How a request is recognised when it is retried (API.md, "Idempotency").
enum RequestFingerprint {
    /// SHA-256 over the method, the concrete path (so path parameters count) and the body's
    /// canonical JSON (RFC 8785: keys sorted, no insignificant whitespace); an absent body is `{}`.
    /// The three parts are separated by a newline, which none of them can contain unescaped.
    static func make(method: String, path: String, body: JSONObject) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(method)
        hasher.update([0x0A])
        hasher.update(path)
        hasher.update([0x0A])
        hasher.update(CanonicalJSON.serialize(.object(body)))
        return hasher.finalize()
    }
}
