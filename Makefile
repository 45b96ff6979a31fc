# migrated - two-tier PostgreSQL schema migration daemon.
#
#   make            build build/migrated, build/migratectl, build/libmigrate.a
#   make demo       the whole story against a throwaway cluster
#   make test       unit + integration tests against a throwaway cluster
#   make asan       the same suite with AddressSanitizer + UBSan
#   make install    PREFIX=/usr/local DESTDIR=...
#
# BUILD selects the output folder, so several builds can live side by side.

BUILD	?= build
PREFIX	?= /usr/local
DESTDIR	?=
SYSCONFDIR ?= /etc

CC	?= cc
PKGS	= libpq libuv yaml-0.1 jansson libcrypto
OPT	?= -O2 -g
WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wpointer-arith -Wcast-qual -Werror
CFLAGS	+= -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) -Icore -MMD -MP
SANFLAGS ?=

# pkg-config is only asked once the packages exist (make deps runs first).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS	= -lpg_query $(PKG_LIBS) -lpthread -lm
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

CORE_SRC   = $(sort $(wildcard core/*.c))
DAEMON_SRC = $(sort $(wildcard daemon/*.c))
CTL_SRC    = $(sort $(wildcard ctl/*.c))
UNIT_SRC   = $(sort $(wildcard tests/unit/test_*.c))

CORE_OBJ   = $(CORE_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/%.o)
CTL_OBJ    = $(CTL_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

LIB	= $(BUILD)/libmigrate.a
BINS	= $(BUILD)/migrated $(BUILD)/migratectl

.PHONY: all deps build demo test unit asan install clean \
	migrate-up migrate-down migrate-down-all migrate-reset \
	migrate-status migrate-create migrate-list migrate-validate \
	migrate-goto migrate-force migrate-backup migrations-log

all: deps
	@$(MAKE) --no-print-directory build

deps:
	@scripts/deps.sh

build: $(LIB) $(BINS) $(UNIT_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(LIB): $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/migrated: $(DAEMON_OBJ) $(LIB)
	$(CC) $(SANFLAGS) -o $@ $(DAEMON_OBJ) $(LIB) $(LIBS)

$(BUILD)/migratectl: $(CTL_OBJ) $(LIB)
	$(CC) $(SANFLAGS) -o $@ $(CTL_OBJ) $(LIB) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $< $(LIB) $(LIBS) $(CMOCKA_LIBS)

demo: all
	@scripts/demo.sh $(BUILD)

test: all
	@tests/run.sh $(BUILD)

unit: all
	@tests/run.sh $(BUILD) unit

asan: deps
	@$(MAKE) --no-print-directory build BUILD=build-asan OPT="-O1 -g" \
	    SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    tests/run.sh build-asan

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 755 $(BUILD)/migrated $(DESTDIR)$(PREFIX)/sbin/migrated
	install -m 755 $(BUILD)/migratectl $(DESTDIR)$(PREFIX)/bin/migratectl
	install -d $(DESTDIR)$(SYSCONFDIR)/migrated
	install -m 644 contrib/migrated.yaml \
	    $(DESTDIR)$(SYSCONFDIR)/migrated/migrated.yaml.example
	install -d $(DESTDIR)/lib/systemd/system
	for f in systemd/*.service systemd/*.socket; do \
	    [ -f "$$f" ] && install -m 644 "$$f" $(DESTDIR)/lib/systemd/system/; \
	done; true
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	for f in docs/*.5; do [ -f "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/man/man5/; done; true
	for f in docs/*.8; do [ -f "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/man/man8/; done; true
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	[ -f contrib/migratectl.bash ] && install -m 644 contrib/migratectl.bash \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/migratectl; true

clean:
	rm -rf build build-asan build-*

# The seed documents' targets: thin wrappers over migratectl.
CTL	?= $(BUILD)/migratectl
migrate-up:       ; $(CTL) up
migrate-down:     ; $(CTL) down 1
migrate-down-all: ; $(CTL) down --all
migrate-reset:    ; $(CTL) down --all && $(CTL) up
migrate-status:   ; $(CTL) status
migrate-list:     ; $(CTL) list
migrate-validate: ; $(CTL) validate
migrate-create:   ; @test -n "$(NAME)" || { echo "usage: make migrate-create NAME=description" >&2; exit 2; }; $(CTL) create "$(NAME)"
migrate-goto:     ; @test -n "$(V)" || { echo "usage: make migrate-goto V=VERSION" >&2; exit 2; }; $(CTL) goto "$(V)"
migrate-force:    ; @test -n "$(V)" || { echo "usage: make migrate-force V=VERSION" >&2; exit 2; }; $(CTL) force "$(V)"
migrate-backup:   ; @mkdir -p backups && f=backups/$$(date -u +%Y%m%d_%H%M%S).dump && pg_dump -Fc -f "$$f" "$${DATABASE_URL:-}" && echo "$$f"
migrations-log:   ; $(CTL) log --markdown > MIGRATIONS_LOG.md

-include $(CORE_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(CTL_OBJ:.o=.d)
