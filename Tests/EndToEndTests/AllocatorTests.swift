@testable import EndToEndSupport
import Foundation
import Testing

/// The aggregator runs on jemalloc (Package.swift links Debian's shared `libjemalloc`), and for
/// the whole process: the C libraries it loads must allocate and free on the same heap as Swift,
/// or memory crossing them (libc's `strdup`, freed by Swift code) would corrupt one of two heaps.
/// The dynamic linker says where each library's `malloc` and `free` were bound
/// (`LD_DEBUG=bindings`). The agent keeps glibc's malloc (its peak memory).
@Suite struct AllocatorTests {
    /// Where `malloc` and `free` of each library were bound, from the dynamic linker's trace of
    /// one run of `executable --help`: "binding file A [0] to B [0]: normal symbol `free' …".
    func bindings(_ executable: String) throws -> [String] {
        let folder = TemporaryFolder("allocator")
        let result = try run(executable, ["--help"], environment: ["LD_DEBUG": "bindings"], in: folder.path)
        #expect(result.status == 0, "\(result)")
        return (result.stdout + result.stderr).split(separator: "\n").map(String.init)
            .filter { $0.contains("normal symbol `free'") || $0.contains("normal symbol `malloc'") }
    }

    @Test func everyLibraryOfTheAggregatorAllocatesWithJemalloc() throws {
        let lines = try bindings(Binaries.aggregator)
        // libc's own calls (strdup, getaddrinfo…) are bound past libc, to jemalloc.
        #expect(lines.contains { $0.contains("/libc.so.6 [0] to ") && $0.contains("/libjemalloc.so") },
                "libc's malloc is not jemalloc's:\n\(lines.joined(separator: "\n"))")
        let elsewhere = lines.filter { !$0.contains("/libjemalloc.so") }
        #expect(elsewhere.isEmpty, "bound to another allocator than jemalloc:\n\(elsewhere.joined(separator: "\n"))")
    }

    @Test func theAgentKeepsGlibcsMalloc() throws {
        let lines = try bindings(Binaries.agent)
        #expect(!lines.isEmpty, "the dynamic linker traced no binding of malloc or free")
        #expect(!lines.contains { $0.contains("libjemalloc") }, "\(lines.joined(separator: "\n"))")
    }
}
