#!/usr/bin/env bash
# Checks that esync-aggregator in BIN (default: the release build, as Deploy/install.sh makes it
# with --static-swift-stdlib) allocates with jemalloc in every library it loads, and that
# esync-agent keeps glibc's malloc (see Tests/EndToEndTests/AllocatorTests.swift, which checks
# the debug build). The static Swift runtime links with --exclude-libs ALL: a jemalloc linked
# from its archive would be hidden from the shared libraries and leave two heaps in one process.
#   Scripts/check-allocator.sh            # builds the release first
#   BIN=/some/dir Scripts/check-allocator.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    swift build -c release --static-swift-stdlib > /dev/null
    BIN=$(swift build -c release --static-swift-stdlib --show-bin-path)
fi
# "binding file A [0] to B [0]: normal symbol `free' [GLIBC_2.2.5]", for every library at start.
bindings() { env -u LD_PRELOAD -u LD_DEBUG_OUTPUT LD_DEBUG=bindings LD_BIND_NOW=1 "$1" --help 2>&1 >/dev/null |
    grep -E "normal symbol \`(malloc|free)'" | sed -E 's/.*binding file ([^ ]+) .* to ([^ ]+) .*/\1 -> \2/' | sort -u; }
failed=0
aggregator=$(bindings "$BIN/esync-aggregator")
if ! grep -q '/libc.so.6 -> .*/libjemalloc.so' <<< "$aggregator" || grep -qv -- "-> .*/libjemalloc.so" <<< "$aggregator"; then
    echo "FAIL: esync-aggregator in $BIN does not allocate with jemalloc everywhere:"; echo "$aggregator"; failed=1
fi
agent=$(bindings "$BIN/esync-agent")
if [ -z "$agent" ] || grep -q libjemalloc <<< "$agent"; then
    echo "FAIL: esync-agent in $BIN does not keep glibc's malloc:"; echo "$agent"; failed=1
fi
[ "$failed" = 0 ] && echo "allocators as intended in $BIN: the aggregator's every library on jemalloc ($(wc -l <<< "$aggregator") bindings), the agent on glibc"
exit "$failed"
