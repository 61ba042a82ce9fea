import Testing

@Test func placeholder_builds() {}
