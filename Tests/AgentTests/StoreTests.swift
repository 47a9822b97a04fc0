@testable import Agent
import EnterpriseModel
import Testing


/// A base file written from a document's canonical bytes is the one written from the document.
@Suite struct BaseBytesTests {
    @Test func theBaseMadeFromCanonicalBytesIsTheBaseMadeFromTheDocument() {
        var generator = SampleGenerator(seed: 4)
        for revision: Int64 in [1, 42, 9_000_000_001] {
            let document = generator.next().json
            #expect(Store.baseBytes(revision: revision, canonicalDocument: document.canonicalBytes())
                    == Store.baseBytes(Store.Base(revision: revision, document: document)))
        }
    }
}
