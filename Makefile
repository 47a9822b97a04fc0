# EnterpriseSync — the two commands first: `make demo` and `make test`.
SHELL := /bin/bash
PACKAGES := libcurl4-openssl-dev libsqlite3-dev zlib1g-dev libzstd-dev libjemalloc-dev pkgconf sqlite3
# Only for the xlsx round trip through LibreOffice (EndToEndTests/SpreadsheetRoundTripTests).
OFFICE_PACKAGES := libreoffice-calc
# Only for nginx in front of two aggregator instances (ReliabilityTests/InstancesTests).
SERVER_PACKAGES := nginx
# Only for the register on PostgreSQL in the tests (make test-postgresql): initdb, pg_ctl, psql
# (Debian 12's; the tests take the newest /usr/lib/postgresql/*/bin, or ESYNC_PG_BIN).
POSTGRES_PACKAGES := postgresql-15
# Only for the review pages' browser test (EndToEndTests/ReviewPageTests, Tests/Browser).
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# A shell command that installs those of the Debian packages $(1) that are missing.
install_missing = missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; if [ -n "$$missing" ]; then echo "installing:$$missing"; $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; fi

.PHONY: demo test lint test-postgresql test-systemd deps office-deps server-deps postgresql-deps browser-deps build release bench clean

## Run the whole job on an embedded default: an aggregator on loopback with SQLite, two bureau
## stores of sample data, a sync round through libcurl, a province edit flowing back, a conflict.
demo: deps build
	./Scripts/demo.sh

## Build everything and run the whole test suite (unit and end-to-end, the review pages in
## headless Chromium among them; ESYNC_SKIP_BROWSER=1 skips the two browser tests, reported as skipped).
test: lint deps office-deps server-deps browser-deps
	swift build --build-tests
	swift test --skip-build

## swift-format's rules (.swift-format) over every Swift file, a finding an error. Its printer's
## layout (indentation, line breaks, line length) is not checked: the code aligns continuation
## lines under their opening parenthesis and keeps a multi-line SQL or YAML literal beside its
## call, which the printer cannot be configured to accept (3,700 findings in half the files), and
## reformatting the whole tree would bury its history; so the printer is off.
lint:
	swift format lint --strict --recursive --parallel --debug-disable-pretty-print Sources Tests Benchmarks Package.swift

## The suites that touch the register (aggregator, end-to-end, reliability) again with the
## register on PostgreSQL: each test process starts a throwaway cluster on a free loopback port
## in a temporary folder (as the postgres user when run as root) and gives every aggregator a
## database of its own (ESYNC_TEST_BACKEND=postgresql; see Tests/EndToEndSupport/PostgresCluster).
test-postgresql: deps office-deps server-deps browser-deps postgresql-deps
	swift build --build-tests
	ESYNC_TEST_BACKEND=postgresql swift test --skip-build --filter 'AggregatorTests|EndToEndTests|ReliabilityTests'

## The agent under a real systemd: boots Debian 12 with systemd-nspawn (root; slower; see README).
## Builds first unless BIN names a folder with esync-agent and esync-aggregator already built.
test-systemd: $(if $(BIN),,build)
	Tests/Systemd/run.sh

## Install the Debian packages the build needs, when any is missing.
deps:
	@$(call install_missing,$(PACKAGES))

## LibreOffice Calc (headless soffice) for the xlsx round trip, when it is missing.
office-deps:
	@$(call install_missing,$(OFFICE_PACKAGES))

## nginx (the load balancer of InstancesTests, started by the test on its own config), when missing.
server-deps:
	@$(call install_missing,$(SERVER_PACKAGES))

## PostgreSQL's server and client (Debian's), for test-postgresql, when missing.
postgresql-deps:
	@$(call install_missing,$(POSTGRES_PACKAGES))

## Chromium, its driver, CJK fonts and Selenium for the browser test, when any is missing.
browser-deps:
	@if [ "$$ESYNC_SKIP_BROWSER" = 1 ]; then exit 0; fi; \
	$(call install_missing,$(BROWSER_PACKAGES)); \
	python3 -c "import selenium" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore selenium

build:
	swift build

release: deps
	swift build -c release --static-swift-stdlib

clean:
	rm -rf .build demo-run
