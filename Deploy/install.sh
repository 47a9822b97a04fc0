#!/usr/bin/env bash
# Installs EnterpriseSync: a release build of both binaries (self-contained: no resource
# folders), the example configs (never over existing ones), the systemd units, and a system
# user `esync`. Run as root from the repository. DESTDIR=/some/dir stages everything there
# instead (no user is created, systemd is not touched).
#   Deploy/install.sh            # then: edit /etc/esync/*.yaml, systemctl enable --now …
set -euo pipefail
cd "$(dirname "$0")/.."
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}

# The Debian packages the build links, when missing (Makefile's PACKAGES). What the binaries
# load where they run: libcurl4, libsqlite3-0, libzstd1, libxml2 and, for the aggregator, libjemalloc2.
make deps
swift build -c release --static-swift-stdlib
BIN=$(swift build -c release --show-bin-path)

install -d "$DESTDIR$PREFIX/bin" "$DESTDIR/etc/esync" "$DESTDIR/etc/systemd/system" "$DESTDIR$PREFIX/share/doc/esync"
install -m 0755 "$BIN/esync-agent" "$BIN/esync-aggregator" "$DESTDIR$PREFIX/bin/"
for config in agent.yaml aggregator.yaml policy.yaml; do
    # An operator's config is never overwritten; the shipped one lands next to it.
    if [ -e "$DESTDIR/etc/esync/$config" ]; then
        install -m 0640 "Config/$config" "$DESTDIR/etc/esync/$config.dist"
    else
        install -m 0640 "Config/$config" "$DESTDIR/etc/esync/$config"
    fi
done
install -m 0644 Deploy/esync-agent.service Deploy/esync-aggregator.service Deploy/esync-sync.service Deploy/esync-sync.timer \
    Deploy/esync-aggregator-backup.service Deploy/esync-aggregator-backup.timer "$DESTDIR/etc/systemd/system/"
install -m 0644 README.md "$DESTDIR$PREFIX/share/doc/esync/"

if [ -z "$DESTDIR" ]; then
    getent group esync >/dev/null || groupadd --system esync
    getent passwd esync >/dev/null || useradd --system --gid esync --home-dir /var/lib/esync --shell /usr/sbin/nologin esync
    chgrp esync /etc/esync /etc/esync/*.yaml
    # The province's nightly backups (esync-aggregator-backup.timer).
    install -d -o esync -g esync -m 0750 /var/backups/esync
    command -v systemctl >/dev/null && systemctl daemon-reload || true
fi
echo "installed to ${DESTDIR:-/}: $PREFIX/bin/esync-agent, esync-aggregator; configs in /etc/esync; units in /etc/systemd/system"
echo "next: edit /etc/esync/agent.yaml (store: /var/lib/esync/store) and the token file, then"
echo "      esync-agent init --config /etc/esync/agent.yaml && systemctl enable --now esync-agent"
