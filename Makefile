# migrated - two-tier PostgreSQL schema migration daemon.
#
#   make            build build/migrated, build/migratectl, build/libmigrate.a
#   make demo       the whole story against a throwaway cluster
#   make check      every test that needs no PostgreSQL (unit + golden), fast
#   make test       unit + golden + integration tests against a throwaway cluster
#   make test-loaded  the same beside two CPU hogs (stress-ng --cpu 2)
#   make asan       the same suite with AddressSanitizer + UBSan
#   make fuzz       each libFuzzer harness of tests/fuzz/ for FUZZ_SECONDS
#                   (default 300) with clang; needs no PostgreSQL
#                   (FUZZ_TARGETS="migparse migset": only those)
#   make install    PREFIX=/usr/local DESTDIR=...
#   make deb        the Debian package, migrated_VERSION_ARCH.deb, here
#   make test-system  the package under a real systemd (root, a container)
#
# BUILD selects the output folder, so several builds can live side by side.

BUILD	?= build
PREFIX	?= /usr/local
DESTDIR	?=
SYSCONFDIR ?= /etc

CC	?= cc
PKGS	= libpq libuv yaml-0.1 jansson libcrypto zlib
OPT	?= -O2 -g
WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wpointer-arith -Wcast-qual -Werror
CFLAGS	+= -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) -Icore -MMD -MP \
	   -ffunction-sections -fdata-sections
# The binaries keep only the functions they call, and need only the shared
# libraries those call: migratectl, started for every command, then loads
# no libpq (nor its Kerberos, LDAP and TLS libraries), a third of the CPU
# of a no-op `migratectl up` (bench/tier2.sh)
BIN_LDFLAGS = -Wl,--gc-sections -Wl,--as-needed
# ... and the little it uses of libcrypto (SHA-256, for create), jansson
# and libyaml is linked into it: loading and relocating those shared
# objects was 40% of its CPU for a no-op up (2.2 -> 1.3 ms; 30 kB more).
# CTL_STATIC= links them shared (the Debian package does: debian/rules;
# a security update of those libraries then reaches it, and lintian finds
# no embedded copy).
CTL_STATIC ?= -Wl,-Bstatic -lcrypto -ljansson -lyaml -Wl,-Bdynamic
# migrated links libpq in (PQ_STATIC=yes): loading libpq.so's 20
# libraries (Kerberos, LDAP, GnuTLS...) was 12 of the 22 ms before main()
# at every start.  scripts/libpq_in.sh makes libpq.a one object that
# exports only libpq's API; daemon/lazylib.c loads Kerberos and LDAP at
# their first call.  OpenSSL stays shared.  PQ_STATIC=no links the shared
# libpq (the Debian package does: debian/rules; libpq's security updates
# then reach the daemon without a rebuild).
PQ_STATIC ?= yes
# ... and the libraries it uses besides, as migratectl does (CTL_STATIC):
# 0.8 ms less before main().  DAEMON_STATIC= links them shared (debian/rules).
DAEMON_STATIC ?= -Wl,-Bstatic -l:libuv_a.a -lyaml -ljansson -lz -Wl,-Bdynamic
SANFLAGS ?=
# build-asan always gets the sanitizers, whichever target rebuilds in it
# (make install BUILD=build-asan after an edit must not mix objects)
ifeq ($(notdir $(patsubst %/,%,$(BUILD))),build-asan)
override OPT = -O1 -g
override SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
endif
# build-fuzz: clang, the library instrumented for libFuzzer (make fuzz)
ifeq ($(notdir $(patsubst %/,%,$(BUILD))),build-fuzz)
override CC = clang
override OPT = -O1 -g
override SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined \
	   -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# pkg-config is only asked once the packages exist (make deps runs first).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS	= -l:libpg_query.a $(PKG_LIBS) -lpthread -lm
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

CORE_SRC   = $(sort $(wildcard core/*.c))
# lazylib.c only with the libpq linked in (below)
DAEMON_SRC = $(filter-out daemon/lazylib.c,$(sort $(wildcard daemon/*.c)))
CTL_SRC    = $(sort $(wildcard ctl/*.c))
UNIT_SRC   = $(sort $(wildcard tests/unit/test_*.c))
ifneq ($(PQ_STATIC),yes)
UNIT_SRC  := $(filter-out tests/unit/test_lazylib%,$(UNIT_SRC))
endif
FUZZ_SRC   = $(sort $(wildcard tests/fuzz/fuzz_*.c))

CORE_OBJ   = $(CORE_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/%.o)
CTL_OBJ    = $(CTL_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Unit tests that need PostgreSQL: tests/run.sh gives each a database in
# TESTDB (alone they exit 77, tests/unit/pgtest.h).  Every other unit test
# must run without one: make check runs them.
UNIT_PG    = test_audit test_catalog test_chain test_db test_migrate \
             test_quote_libpq test_runner
UNIT_CHECK = $(filter-out $(UNIT_PG:%=$(BUILD)/tests/%),$(UNIT_BIN))
# The golden files (tests/golden/README.md): model, plan and lint cases
# diffed with no database; the cluster suite also runs it.
GOLDEN	= $(BUILD)/tests/test_golden
# libFuzzer harnesses (tests/fuzz/README.md); the suite replays their
# corpora and regression inputs through test_fuzz_regress.
FUZZ_BIN   = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?=

LIB	= $(BUILD)/libmigrate.a
ifeq ($(PQ_STATIC),yes)
DAEMON_PQ   = $(BUILD)/libpq_in.o $(BUILD)/daemon/lazylib.o
DAEMON_LIBS = -l:libpg_query.a $(filter-out -lpq,$(PKG_LIBS)) -lssl \
	      -lpthread -lm
else
DAEMON_PQ   =
DAEMON_LIBS = $(LIBS)
endif
BINS	= $(BUILD)/migrated $(BUILD)/migratectl

# keep the test objects: no rebuild of every test after each make
.SECONDARY:

.PHONY: all deps build check demo test test-loaded unit asan fuzz install \
	uninstall clean deb test-system \
	migrate-up migrate-down migrate-down-all migrate-reset \
	migrate-status migrate-create migrate-list migrate-validate \
	migrate-goto migrate-force migrate-backup migrations-log

all: deps
	@$(MAKE) --no-print-directory build

deps:
	@scripts/deps.sh

build: $(LIB) $(BINS) $(UNIT_BIN) $(GOLDEN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(LIB): $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/migrated: $(DAEMON_OBJ) $(LIB) $(DAEMON_PQ)
	$(CC) $(LDFLAGS) $(BIN_LDFLAGS) $(SANFLAGS) -o $@ $(DAEMON_OBJ) $(LIB) \
	    $(DAEMON_PQ) $(DAEMON_STATIC) $(DAEMON_LIBS)

ifeq ($(PQ_STATIC),yes)
# remade when one of the archives it is made of, or from, is upgraded
PQ_IN_FROM = $(wildcard $(shell pg_config --libdir 2>/dev/null)/libpq.a \
	$(addprefix $(shell pg_config --pkglibdir 2>/dev/null)/, \
	libpgcommon_shlib.a libpgport_shlib.a) \
	$(shell $(CC) -print-file-name=libpg_query.a 2>/dev/null))
$(BUILD)/libpq_in.o: scripts/libpq_in.sh $(PQ_IN_FROM)
	@mkdir -p $(dir $@)
	CC="$(CC)" scripts/libpq_in.sh $@
endif

# migratectl links no SQL parser (a pull is loaded back in the daemon):
# libpg_query's tables were 94% of its relocations, and `--version` took
# 2.9 ms of CPU and 116 page faults (3.4 MB), 2.1 ms and 63 without (0.9
# MB; perf stat -r 200).  Left off the link, so that a call into it from
# migratectl's code fails to build.  That needs BIN_LDFLAGS' --gc-sections:
# migparse.o, linked for the folder's layouts, calls the parser from
# functions migratectl never reaches.
$(BUILD)/migratectl: $(CTL_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(BIN_LDFLAGS) $(SANFLAGS) -o $@ $(CTL_OBJ) $(LIB) \
	    $(CTL_STATIC) $(filter-out -l:libpg_query.a,$(LIBS))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $< $(LIB) $(LIBS) $(CMOCKA_LIBS)

# daemon/lazylib.c alone, without libpq: the libraries it loads, and
# libraries that are not there
$(BUILD)/tests/test_lazylib: $(BUILD)/tests/unit/test_lazylib.o \
    $(BUILD)/daemon/lazylib.o $(LIB)
	$(CC) $(SANFLAGS) -o $@ $^ $(CMOCKA_LIBS) -lpthread
$(BUILD)/tests/lazylib_absent.o: daemon/lazylib.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) \
	    -DLAZY_GSSAPI_SONAME='"libmigrated-absent-gssapi.so.0"' \
	    -DLAZY_LDAP_SONAME='"libmigrated-absent-ldap.so.0"' -c -o $@ $<
$(BUILD)/tests/test_lazylib_absent: \
    $(BUILD)/tests/unit/test_lazylib_absent.o $(BUILD)/tests/lazylib_absent.o \
    $(LIB)
	$(CC) $(SANFLAGS) -o $@ $^ $(CMOCKA_LIBS) -lpthread

$(BUILD)/tests/golden/golden.o: CFLAGS += -DGOLDEN_DIR='"$(CURDIR)/tests/golden"'
$(GOLDEN): $(BUILD)/tests/golden/golden.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $< $(LIB) $(LIBS)

# the replay test includes every harness (built without libFuzzer)
$(BUILD)/tests/unit/test_fuzz_regress.o: CFLAGS += -Itests/fuzz \
	-DFUZZ_REPLAY -DFUZZ_DIR='"$(CURDIR)/tests/fuzz"'
$(BUILD)/tests/unit/test_fuzz_regress.o: $(FUZZ_SRC)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -o $@ $< $(LIB) $(LIBS)

# No deps, no cluster: needs only the build tools and -dev libraries.
check: $(LIB) $(UNIT_CHECK) $(GOLDEN)
	@tests/check.sh $(BUILD) $(notdir $(UNIT_CHECK) $(GOLDEN))

demo: all
	@scripts/demo.sh $(BUILD)

test: all
	@tests/run.sh $(BUILD)

test-loaded: all
	@scripts/test-loaded.sh $(BUILD)

unit: all
	@tests/run.sh $(BUILD) unit

asan: deps
	@$(MAKE) --no-print-directory build BUILD=build-asan
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    tests/run.sh build-asan

# clang is only needed here: make deps does not install it
fuzz:
	@scripts/deps.sh clang
	@$(MAKE) --no-print-directory BUILD=build-fuzz \
	    $(patsubst $(BUILD)/%,build-fuzz/%,$(FUZZ_BIN))
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Units name /usr/sbin/migrated and /usr/bin/migratectl; they are rewritten
# for PREFIX on the way in.  systemd reads units from both /usr/lib and
# /usr/local/lib, so UNITDIR follows PREFIX.
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/migrated
COMPDIR	?= $(PREFIX)/share/bash-completion/completions
UNIT_SED = -e 's|/usr/sbin/migrated|$(PREFIX)/sbin/migrated|g' \
	   -e 's|/usr/bin/migratectl|$(PREFIX)/bin/migratectl|g'

# Installs what is built (building it if needed); `make` first on a fresh
# machine, so that make deps installs the libraries.
install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 755 $(BUILD)/migrated $(DESTDIR)$(PREFIX)/sbin/migrated
	install -m 755 $(BUILD)/migratectl $(DESTDIR)$(PREFIX)/bin/migratectl
	install -d -m 755 $(DESTDIR)$(SYSCONFDIR)/migrated
	install -m 644 contrib/migrated.yaml \
	    $(DESTDIR)$(SYSCONFDIR)/migrated/migrated.yaml.example
	install -d $(DESTDIR)$(UNITDIR)
	for f in systemd/*.service systemd/*.socket contrib/metrics/*.service \
	    contrib/metrics/*.timer; do \
	    sed $(UNIT_SED) "$$f" >"$(DESTDIR)$(UNITDIR)/$${f##*/}" && \
	    chmod 644 "$(DESTDIR)$(UNITDIR)/$${f##*/}" || exit 1; \
	done
	install -d $(DESTDIR)$(SYSUSERSDIR)
	install -m 644 systemd/migrated.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/migrated.conf
	install -d $(DESTDIR)$(DOCDIR)/examples
	sed $(UNIT_SED) systemd/app-drop-in.conf.example \
	    >$(DESTDIR)$(DOCDIR)/examples/app-drop-in.conf
	chmod 644 $(DESTDIR)$(DOCDIR)/examples/app-drop-in.conf
	install -m 644 contrib/prometheus/migrated.rules.yml \
	    contrib/prometheus/migrated.rules.test.yml \
	    contrib/grafana/migrated.json $(DESTDIR)$(DOCDIR)/examples/
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 644 docs/migrated.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 docs/migrated.8 docs/migratectl.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(COMPDIR)
	install -m 644 contrib/migratectl.bash $(DESTDIR)$(COMPDIR)/migratectl

# Leaves /etc/migrated alone: it may hold the administrator's files.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/migrated $(DESTDIR)$(PREFIX)/bin/migratectl
	rm -f $(DESTDIR)$(SYSCONFDIR)/migrated/migrated.yaml.example
	rm -f $(DESTDIR)$(UNITDIR)/migrated.service \
	    $(DESTDIR)$(UNITDIR)/migrated.socket \
	    '$(DESTDIR)$(UNITDIR)/migrated@.service' \
	    '$(DESTDIR)$(UNITDIR)/migrated@.socket' \
	    '$(DESTDIR)$(UNITDIR)/migrated-metrics@.service' \
	    '$(DESTDIR)$(UNITDIR)/migrated-metrics@.timer' \
	    '$(DESTDIR)$(UNITDIR)/migrated-audit-verify@.service' \
	    '$(DESTDIR)$(UNITDIR)/migrated-audit-verify@.timer'
	rm -f $(DESTDIR)$(SYSUSERSDIR)/migrated.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(MANDIR)/man5/migrated.yaml.5 \
	    $(DESTDIR)$(MANDIR)/man8/migrated.8 $(DESTDIR)$(MANDIR)/man8/migratectl.8
	rm -f $(DESTDIR)$(COMPDIR)/migratectl

clean:
	rm -rf build build-asan build-*

# The Debian package (debian/, debhelper 13), built from a copy of the
# tracked files under $(BUILD)/deb, so that dpkg-buildpackage's outputs
# stay out of the checkout; the .deb is copied here.  As root, the
# packaging tools are installed first (scripts/deps.sh deb).
deb:
	@scripts/deb.sh "$(BUILD)/deb"

# The package under a real systemd 252, booted in a Debian 12 container
# (tests/system/run.sh); the container's root is kept in $(BUILD)/system.
test-system: deb
	@scripts/deps.sh system
	@tests/system/run.sh $(BUILD)

# The seed documents' targets: thin wrappers over migratectl.
#   SOCKET=PATH or SERVICE=NAME pick the daemon (else $$MIGRATED_SOCKET,
#   else migratectl's default); YES=1 confirms down, goto back, force and
#   redo where no terminal can.  Outputs are written to a temporary name
#   and renamed only on success.
CTL	?= $(BUILD)/migratectl
BACKUP_DIR ?= backups
YESFLAG	= $(if $(filter 1 y yes true,$(YES)),--yes)
MCTL	= $(CTL) $(if $(SOCKET),-s '$(SOCKET)') \
	  $(if $(SERVICE),--service '$(SERVICE)')
migrate-up:       ; $(MCTL) up
migrate-down:     ; $(MCTL) down 1 $(YESFLAG)
migrate-down-all: ; $(MCTL) down --all $(YESFLAG)
migrate-reset:    ; $(MCTL) down --all $(YESFLAG) && $(MCTL) up
migrate-status:   ; $(MCTL) status
migrate-list:     ; $(MCTL) list
migrate-validate: ; $(MCTL) validate
migrate-create:   ; @test -n "$(NAME)" || { echo "usage: make migrate-create NAME=description" >&2; exit 2; }; $(MCTL) create "$(NAME)"
migrate-goto:     ; @test -n "$(V)" || { echo "usage: make migrate-goto V=VERSION [YES=1]" >&2; exit 2; }; $(MCTL) goto "$(V)" $(YESFLAG)
migrate-force:    ; @test -n "$(V)" || { echo "usage: make migrate-force V=VERSION [YES=1]" >&2; exit 2; }; $(MCTL) force "$(V)" $(YESFLAG)
migrate-backup:   ; @BACKUP_PREFIX=$(if $(SERVICE),'$(SERVICE)_') scripts/backup.sh '$(BACKUP_DIR)' $(MCTL)
migrations-log:
	@t=MIGRATIONS_LOG.md.tmp.$$$$; \
	if $(MCTL) log --markdown >"$$t"; then mv "$$t" MIGRATIONS_LOG.md; \
	else rm -f "$$t"; echo "migrations-log: MIGRATIONS_LOG.md left as it was" >&2; exit 1; fi

-include $(CORE_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(CTL_OBJ:.o=.d) \
	$(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) \
	$(BUILD)/tests/golden/golden.d $(FUZZ_BIN:=.d)
