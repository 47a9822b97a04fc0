# Sourced by the benchmarks, from the repository's root: sets BIN, the folder of esync-aggregator
# and esync-agent. The one BIN names (made absolute), or a release build made now as
# Deploy/install.sh makes it: the Swift runtime linked in, so that a process starts in 15 ms
# instead of 40 (no dynamic linking of Foundation), which every agent run pays.
BIN=${BIN:+$(cd "$BIN" && pwd)}
if [ -z "$BIN" ]; then
    swift build -c release --static-swift-stdlib >/dev/null
    BIN=$(swift build -c release --static-swift-stdlib --show-bin-path)
fi
