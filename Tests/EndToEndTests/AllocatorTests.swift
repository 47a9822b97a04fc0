@testable import EndToEndSupport
import Foundation
import Testing

/// The aggregator runs on jemalloc (Package.swift links Debian's shared `libjemalloc`), and for
/// the whole process: the C libraries it loads must allocate and free on the same heap as Swift,
/// or memory crossing them (libc's `strdup`, freed by Swift code) would corrupt one of two heaps.
/// The dynamic linker says where each library's `malloc` and `free` were bound
/// (`LD_DEBUG=bindings`, with `LD_BIND_NOW` so that every library's references are bound at
/// start, not only those a `--help` calls). The agent keeps glibc's malloc (its peak memory).
/// (`Scripts/check-allocator.sh` checks the release build, `--static-swift-stdlib`, the same way.)
// (`run` passes this process's environment on: a preload or a trace file of its own would change
// what is traced, or where.)
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LD_PRELOAD"] == nil && ProcessInfo.processInfo.environment["LD_DEBUG_OUTPUT"] == nil,
                "LD_PRELOAD or LD_DEBUG_OUTPUT is set"))
struct AllocatorTests {
    /// Each library's `malloc` and `free` and where they were bound, from the dynamic linker's
    /// trace of `executable --help` ("binding file A [0] to B [0]: normal symbol `free' …").
    func bindings(_ executable: String) throws -> [(from: String, to: String)] {
        let folder = TemporaryFolder("allocator")
        let result = try run(executable, ["--help"], environment: ["LD_DEBUG": "bindings", "LD_BIND_NOW": "1"], in: folder.path)
        #expect(result.status == 0, "\(result)")
        return result.stderr.split(separator: "\n").compactMap { line -> (String, String)? in
            guard line.contains("normal symbol `free'") || line.contains("normal symbol `malloc'"),
                  let file = line.range(of: "binding file "), let to = line.range(of: " to ", range: file.upperBound..<line.endIndex),
                  let end = line.range(of: ": normal symbol", range: to.upperBound..<line.endIndex)
            else { return nil }
            return (String(line[file.upperBound..<to.lowerBound]), String(line[to.upperBound..<end.lowerBound]))
        }
    }

    @Test func everyLibraryOfTheAggregatorAllocatesWithJemalloc() throws {
        let bound = try bindings(Binaries.aggregator)
        let listing = bound.map { "\($0.from) -> \($0.to)" }.joined(separator: "\n")
        // libc's own calls (strdup, getaddrinfo…) and SQLite's are bound past libc, to jemalloc.
        #expect(bound.contains { $0.from.contains("/libc.so.6") }, "libc's malloc and free are not traced:\n\(listing)")
        #expect(bound.contains { $0.from.contains("/libsqlite3.so") }, "SQLite's malloc and free are not traced:\n\(listing)")
        let elsewhere = bound.filter { !$0.to.contains("/libjemalloc.so") }
        #expect(elsewhere.isEmpty, "bound to another allocator than jemalloc:\n\(elsewhere.map { "\($0.from) -> \($0.to)" }.joined(separator: "\n"))")
    }

    @Test func theAgentKeepsGlibcsMalloc() throws {
        let bound = try bindings(Binaries.agent)
        #expect(!bound.isEmpty, "the dynamic linker traced no binding of malloc or free")
        #expect(bound.allSatisfy { $0.to.contains("/libc.so.6") }, "\(bound.map { "\($0.from) -> \($0.to)" }.joined(separator: "\n"))")
    }
}
