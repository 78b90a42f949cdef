# Helpdesk — the two commands a new user needs are `make run` and `make test`.

GO        ?= go
BIN       := bin/helpdesk
MODULES   := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
PKGS      := $(addsuffix /...,$(MODULES))
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# FUZZTIME is how long `make fuzz` runs each fuzz target; `make test` runs each for 2s.
FUZZTIME  ?= 1m

.PHONY: run build test fuzz vet fmt bench clean

## run: build and start the whole system in one process (embedded NATS, data in ./data)
run: build
	./$(BIN) up

## build: build the helpdesk binary into bin/
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./infra/cmd/helpdesk

## test: vet and test every module of the workspace, then fuzz every fuzz target briefly
test: vet
	$(GO) test -count=1 -timeout 15m $(PKGS)
	FUZZTIME=2s GO=$(GO) sh tests/fuzz.sh

## fuzz: run every fuzz target for FUZZTIME each (make fuzz FUZZTIME=5m)
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) sh tests/fuzz.sh

vet:
	@unformatted=$$(gofmt -l $(MODULES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $(MODULES)

## bench: load-test a freshly started system on loopback and print the report
bench: build
	$(GO) run ./tests/cmd/loadgen $(BENCH_FLAGS)

clean:
	rm -rf bin
