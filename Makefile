# ImageOperator: build, generate, test and run locally. `make help` lists the targets.
# ARTIFACTS=<folder> builds into that folder (dotnet --artifacts-path) instead of each project's bin/ and obj/.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
DOTNET_ARTIFACTS := $(if $(ARTIFACTS),--artifacts-path $(ARTIFACTS))
CHART_CRDS := charts/image-operator/crds

.PHONY: help build manifests provision test lint run down bench

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  %-10s %s\n", $$1, $$2 }'

build: ## Build the solution and publish the CLI to bin/image-operator.
	dotnet build ImageOperator.sln -nologo $(DOTNET_ARTIFACTS)
	dotnet publish operator/ImageOperator.Cli -nologo -c Release -o bin $(DOTNET_ARTIFACTS) \
	  -p:PublishSingleFile=true --self-contained false -p:DebugType=none

manifests: ## Generate the CRDs from the C# API types into crds/ and the Helm chart.
	dotnet run --project operator/ImageOperator.CrdGen $(DOTNET_ARTIFACTS) -- --output crds
	mkdir -p $(CHART_CRDS)
	rm -f $(CHART_CRDS)/*.yaml
	cp crds/*.yaml $(CHART_CRDS)/

provision: ## Install the real components: qemu-img, etcd, kube-apiserver, Ceph RGW, kubectl (needs root or sudo).
	bash tests/stack/provision.sh >/dev/null

test: ## Provision, build, run every test project (TRX in artifacts/test-results) and print the summary.
	ARTIFACTS="$(ARTIFACTS)" bash tests/stack/run-tests.sh

lint: ## Check the shell scripts.
	shellcheck -x tests/stack/*.sh .ci/run

run: ## Start the local stack (API server, S3, CRDs) in .run/; `source .run/env` to use it.
	bash tests/stack/stack-up.sh

down: ## Stop the local stack.
	bash tests/stack/stack-down.sh

bench: ## Run the benchmarks (tests/bench/bench.sh).
	@if [ -f tests/bench/bench.sh ]; then bash tests/bench/bench.sh; else echo "no benchmarks yet (tests/bench/bench.sh)" >&2; exit 1; fi
