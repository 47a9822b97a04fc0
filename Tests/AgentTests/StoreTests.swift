@testable import Agent
import EndToEndSupport
import EnterpriseModel
import Foundation
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

/// records/ held open for a push or a pull (`Store.withRecordsFolder`).
@Suite struct RecordsFolderTests {
    @Test func recordFilesAreReadThroughTheFolderAndAReplacedFolderStopsAnyWrite() throws {
        let temporary = TemporaryFolder("records-folder")
        let store = try Store.initialize(temporary.path + "/store", region: "410100")
        let code = "91410100MA00000003"
        try FileSystem.writeAtomically(store.recordFile(code), Array("{\"uscc\":\"\(code)\"}".utf8))
        try store.withRecordsFolder { () throws(AgentError) in
            #expect(try store.readRecordBytes(code) == Array("{\"uscc\":\"\(code)\"}".utf8))
            #expect(store.statRecordFile(code)?.size == 29)
            #expect(store.statRecordFile("91410100MA00000011") == nil)
            try store.checkRecordsFolder()
            // Moved aside and made again while the sync runs: nothing is written from what was read.
            #expect(rename(store.recordsPath, store.recordsPath + ".old") == 0 && mkdir(store.recordsPath, 0o755) == 0)
            #expect(throws: AgentError.self) { try store.checkRecordsFolder() }
            #expect(try store.readRecordBytes(code).count == 29)  // (still the folder opened)
        }
        // The next push or pull opens the folder at the path.
        try store.checkRecordsFolder()
        #expect(throws: AgentError.self) { try store.readRecordBytes(code) }
    }

    /// A scan's stat spares the read its own: a file read with the size the scan saw, which has
    /// grown or shrunk since, is still read whole.
    @Test func aFileIsReadWholeWhateverSizeTheScanSawOfIt() throws {
        let temporary = TemporaryFolder("records-size")
        let store = try Store.initialize(temporary.path + "/store", region: "410100")
        let code = "91410100MA00000003"
        let long = Array(repeating: UInt8(ascii: "x"), count: 10_000)
        try FileSystem.writeAtomically(store.recordFile(code), long)
        try store.withRecordsFolder { () throws(AgentError) in
            for seen: Int64 in [0, 1, 29, 9_999, 10_000, 10_001, 50_000] {
                #expect(try store.readRecordBytes(code, regularFileSize: seen) == long, "a scan that saw \(seen) bytes")
            }
            try FileSystem.writeAtomically(store.recordFile(code), Array("{}".utf8))
            #expect(try store.readRecordBytes(code, regularFileSize: 10_000) == Array("{}".utf8))
            #expect(try store.readRecordBytes(code, regularFileSize: 2) == Array("{}".utf8))
        }
    }
}
