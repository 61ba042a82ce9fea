import Crypto
import JSON
import Testing

// Request fingerprints hash the RFC 8785 canonical form, so formatting and member order must not matter.

@Test func sha256OfCanonicalJSON_ignoresMemberOrderAndWhitespace() throws {
    let a = try JSON.parse(#"{"seat":"A1","quantity":2,"meta":{"b":1,"a":2}}"#)
    let b = try JSON.parse(#" { "meta" : { "a" : 2 , "b" : 1 } , "quantity" : 2 , "seat" : "A1" } "#)
    #expect(SHA256.hash(CanonicalJSON.serialize(a)) == SHA256.hash(CanonicalJSON.serialize(b)))
    let c = try JSON.parse(#"{"seat":"A1","quantity":3,"meta":{"b":1,"a":2}}"#)
    #expect(SHA256.hash(CanonicalJSON.serialize(a)) != SHA256.hash(CanonicalJSON.serialize(c)))
}

@Test func sha256OfCanonicalJSON_matchesDigestOfCanonicalText() throws {
    let value = try JSON.parse(#"{"b":[1,2.5],"a":"x"}"#)
    #expect(SHA256.hash(CanonicalJSON.serialize(value)) == SHA256.hash(#"{"a":"x","b":[1,2.5]}"#))
}
